// The partner's server: @aura/koa's README lines, plus a stand-in for the app's own sign-in.
// Configured from the environment (AURA_* for Aura, BILLING_WORKER_SECRET for the one service
// allowed to call /hooks/aura); `start.js` sets both up against a local sandbox.

import {
  auraErrors,
  auraMiddleware,
  auraRouter,
  requireAuraToken,
  verifyAuraSignature,
} from '@aura/koa';
import Router from '@koa/router';
import Koa from 'koa';

const app = new Koa();
const router = new Router();
const secrets = { 'billing-worker': process.env.BILLING_WORKER_SECRET };

// Stands in for your own session middleware (koa-session, koa-passport…): here the user is
// whoever the `x-demo-user` header names. Never do this in a real app.
app.use(async (ctx, next) => {
  const name = ctx.get('x-demo-user');
  ctx.state.user = name === '' ? null : { id: name };
  await next();
});

app.use(auraErrors());
app.use(auraMiddleware()); // ctx.state.aura
app.use(auraRouter({ prefix: '/api/aura', authorize: (ctx) => ctx.state.user ?? null }));
router.post('/hooks/aura', verifyAuraSignature({ secrets }), (ctx) => {
  ctx.body = { from: ctx.state.auraCaller.appId, got: ctx.request.body };
});
router.get('/uploads/config', requireAuraToken(), async (ctx) => {
  ctx.body = await ctx.state.aura.getUploaderConfig();
});
app.use(router.routes());

/** Starts listening on 127.0.0.1; resolves with the server once it is. */
export function listen(port = Number(process.env.PORT ?? 3000)) {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1', () => resolve(server));
    server.once('error', reject);
  });
}
