// The test app on Node through @hono/node-server; AURA_* from the process environment.
import { serve } from '@hono/node-server';
import { createTestApp } from '../support/app';

serve({ fetch: createTestApp().fetch, port: 0, hostname: '127.0.0.1' }, ({ port }) =>
  console.log(`listening on http://127.0.0.1:${port}`),
);
