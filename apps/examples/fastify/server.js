// The partner's server: @aura/fastify's README lines, plus a stand-in for the app's own sign-in.
// Configured from the environment (AURA_* for Aura, BILLING_WORKER_SECRET for the one service
// allowed to call /hooks/aura); `start.js` sets both up against a local sandbox.
import {
  auraErrorHandler,
  auraPlugin,
  auraRoutes,
  requireAuraToken,
  verifyAuraSignature,
} from '@aura/fastify';
import Fastify from 'fastify';

// forceCloseConnections: `close()` on SIGTERM does not wait for idle keep-alive sockets.
export const app = Fastify({ forceCloseConnections: true });
const secrets = { 'billing-worker': process.env.BILLING_WORKER_SECRET };

// Stands in for your own auth plugin (@fastify/jwt, @fastify/passport…): here the user is
// whoever the `x-demo-user` header names. Never do this in a real app.
app.decorateRequest('user', null);
app.addHook('onRequest', async (request) => {
  const name = request.headers['x-demo-user'];
  request.user = typeof name === 'string' && name !== '' ? { id: name } : null;
});

await app.register(auraPlugin); // request.aura
await app.register(auraRoutes, {
  prefix: '/api/aura',
  authorize: (request) => request.user ?? null,
});
app.post('/hooks/aura', { preHandler: verifyAuraSignature({ secrets }) }, async (request) => ({
  from: request.auraCaller.appId,
  got: request.body,
})); // default JSON parser left in place
app.get('/uploads/config', { preHandler: requireAuraToken() }, (request) =>
  request.aura.getUploaderConfig(),
);
app.setErrorHandler(auraErrorHandler); // opt-in, never set implicitly
