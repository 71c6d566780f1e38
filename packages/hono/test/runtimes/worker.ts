// The test app as a Cloudflare Worker: the AURA_* variables are the Worker's bindings (c.env).
import { createTestApp } from '../support/app';

export default createTestApp();
