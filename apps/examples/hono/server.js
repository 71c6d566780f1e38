// The partner's server: @aura/hono's README lines on @hono/node-server, plus a stand-in for the
// app's own sign-in. Configured from the environment (AURA_* for Aura, BILLING_WORKER_SECRET for
// the one service allowed to call /hooks/aura); `start.js` sets both up against a local sandbox.

import {
  auraErrorHandler,
  auraMiddleware,
  auraRoutes,
  requireAuraToken,
  verifyAuraSignature,
} from '@aura/hono';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
const secrets = { 'billing-worker': process.env.BILLING_WORKER_SECRET };

// Stands in for your own session middleware (an auth library, a JWT check…): here the user is
// whoever the `x-demo-user` header names. Never do this in a real app.
app.use('*', async (c, next) => {
  const name = c.req.header('x-demo-user');
  if (name) c.set('user', { id: name });
  await next();
});

app.use('*', auraMiddleware()); // c.var.aura; config from c.env on Workers
app.route('/api/aura', auraRoutes({ authorize: (c) => c.get('user') ?? null }));
app.post('/hooks/aura', verifyAuraSignature({ secrets }), async (c) =>
  c.json({ from: c.var.auraCaller.appId, got: await c.req.json() }),
);
app.get('/uploads/config', requireAuraToken(), async (c) =>
  c.json(await c.var.aura.getUploaderConfig()),
);
app.onError(auraErrorHandler);

/** Starts listening on 127.0.0.1; resolves with the server once it is. */
export function listen(port = Number(process.env.PORT ?? 3000)) {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(server));
    server.once('error', reject);
  });
}
