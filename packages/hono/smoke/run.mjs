// Smoke test of the built package: import it by name (through `exports`) from ESM and from
// CommonJS, then serve a signed call through each build's verifier on @hono/node-server, and the
// same app through `app.request()` as a Worker would run it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const esm = await import('@aura/hono');
const cjs = require('@aura/hono');
const { signRequest } = await import('@aura/core');
const { Hono } = await import('hono');
const { serve } = await import('@hono/node-server');

const FACTORIES = ['auraMiddleware', 'auraRoutes', 'requireAuraToken', 'verifyAuraSignature'];
const caller = { appId: 'smoke-worker', appSecret: 'smoke-worker-secret' };

for (const [label, mod] of [
  ['esm', esm],
  ['cjs', cjs],
]) {
  for (const name of [...FACTORIES, 'auraErrorHandler']) {
    if (typeof mod[name] !== 'function') throw new Error(`${label}: ${name} missing`);
  }
  const app = new Hono();
  app.post(
    '/hooks/aura',
    mod.verifyAuraSignature({ secrets: { [caller.appId]: caller.appSecret } }),
    async (c) => c.json({ from: c.var.auraCaller.appId, got: await c.req.json() }),
  );
  app.onError(mod.auraErrorHandler);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  try {
    const url = `http://127.0.0.1:${server.address().port}/hooks/aura`;
    const body = '{"smoke":  true}';
    const headers = { 'content-type': 'application/json' };
    for (const [how, send] of [
      [
        'node-server',
        (signed) =>
          fetch(signed.url, {
            method: 'POST',
            headers: signed.headers,
            body,
            signal: AbortSignal.timeout(5000),
          }),
      ],
      [
        'app.request',
        (signed) => app.request(signed.url, { method: 'POST', headers: signed.headers, body }),
      ],
    ]) {
      const signed = await signRequest(caller, { method: 'POST', url, headers, body });
      const response = await send(signed);
      const answer = await response.json();
      if (response.status !== 200 || answer.from !== caller.appId || answer.got?.smoke !== true) {
        throw new Error(
          `${label} ${how}: verified call answered ${response.status} ${JSON.stringify(answer)}`,
        );
      }
    }
  } finally {
    server.close();
    server.closeAllConnections();
  }
}
console.log('@aura/hono smoke: esm + cjs imports ok; a signed call verified through each build');
