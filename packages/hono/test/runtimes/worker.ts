// The test app as a Cloudflare Worker: the AURA_* variables are the Worker's bindings (c.env).
// Its nonce store is made at the module's global scope, where a Worker author makes one (and
// where workerd refuses random values: the store draws its keys on the first claim).
import { MemoryNonceStore } from '@aura/core';
import { createTestApp } from '../support/app';

export default createTestApp({ verify: { nonceStore: new MemoryNonceStore() } });
