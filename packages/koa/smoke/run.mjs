// Smoke test of the built package: import it by name (through `exports`) from ESM and from
// CommonJS, then serve a signed call through each build's verifier on 127.0.0.1.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const esm = await import('@aura/koa');
const cjs = require('@aura/koa');
const { signRequest } = await import('@aura/core');
const Koa = (await import('koa')).default;

const FACTORIES = [
  'auraErrors',
  'auraMiddleware',
  'auraRouter',
  'requireAuraToken',
  'verifyAuraSignature',
];
const caller = { appId: 'smoke-worker', appSecret: 'smoke-worker-secret' };

for (const [label, mod] of [
  ['esm', esm],
  ['cjs', cjs],
]) {
  for (const name of FACTORIES) {
    if (typeof mod[name] !== 'function') throw new Error(`${label}: ${name} missing`);
  }
  const app = new Koa();
  app.use(mod.auraErrors());
  app.use(mod.verifyAuraSignature({ secrets: { [caller.appId]: caller.appSecret } }));
  app.use((ctx) => {
    ctx.body = { from: ctx.state.auraCaller.appId, got: ctx.request.body };
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const url = `http://127.0.0.1:${server.address().port}/hooks/aura`;
    const body = '{"smoke":  true}';
    const headers = { 'content-type': 'application/json' };
    const signed = await signRequest(caller, { method: 'POST', url, headers, body });
    const response = await fetch(signed.url, {
      method: 'POST',
      headers: signed.headers,
      body,
      signal: AbortSignal.timeout(5000),
    });
    const answer = await response.json();
    if (response.status !== 200 || answer.from !== caller.appId || answer.got?.smoke !== true) {
      throw new Error(
        `${label}: verified call answered ${response.status} ${JSON.stringify(answer)}`,
      );
    }
  } finally {
    server.close();
  }
}
console.log('@aura/koa smoke: esm + cjs imports ok; a signed call verified through each build');
