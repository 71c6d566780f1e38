// Smoke test of the built package, imported by name the way consumers do: from ESM and from CJS.
// Then one app mixing both copies (the CJS plugin, the ESM verifier: what a dual install can
// produce) verifies a signed call on a route declared at the root. Loopback only.
import { createRequire } from 'node:module';
import { signRequest } from '@aura/core';
import Fastify from 'fastify';

const esm = await import('@aura/fastify');
const cjs = createRequire(import.meta.url)('@aura/fastify');
const names = [
  'auraErrorHandler',
  'auraPlugin',
  'auraRoutes',
  'requireAuraToken',
  'verifyAuraSignature',
];
for (const [format, mod] of [
  ['esm', esm],
  ['cjs', cjs],
]) {
  for (const name of names) {
    if (typeof mod[name] !== 'function') throw new Error(`${format}: ${name} missing`);
  }
}

const caller = { appId: 'smoke-service', appSecret: 'smoke-secret-0123456789' };
const app = Fastify();
await app.register(cjs.auraPlugin, {
  client: { baseUrl: 'http://127.0.0.1:9/api', appId: 'a', appSecret: 's', apiKey: 'k' },
});
const secrets = { [caller.appId]: caller.appSecret };
app.post('/hooks/aura', { preHandler: esm.verifyAuraSignature({ secrets }) }, async (request) => ({
  from: request.auraCaller.appId,
  got: request.body,
}));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
try {
  const body = '{ "ok" : true }';
  const signed = await signRequest(caller, {
    method: 'POST',
    url: `${url}/hooks/aura`,
    headers: { 'content-type': 'application/json' },
    body,
  });
  const answer = await fetch(signed.url, { method: 'POST', headers: signed.headers, body });
  const json = await answer.json();
  if (answer.status !== 200 || json.from !== caller.appId || json.got?.ok !== true) {
    throw new Error(`signed call answered ${answer.status} ${JSON.stringify(json)}`);
  }
  const unsigned = await fetch(`${url}/hooks/aura`, { method: 'POST', body });
  if (unsigned.status !== 401) throw new Error(`unsigned call answered ${unsigned.status}`);
} finally {
  await app.close();
}
console.log('@aura/fastify smoke: esm + cjs imports ok; cjs plugin + esm verifier verified a call');
