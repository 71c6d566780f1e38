// A Hono app that signs or verifies `n` requests per call, the same module in every runtime:
// served by Bun or Deno when run by them (it prints `{ port, backend }` as one JSON line once it
// listens), and exported as `app` for the Worker that runtimes/run.mjs bundles for workerd and
// runs in Miniflare. The runner measures it from outside: wall time of N calls with n = K minus
// N with n = 0. Verification needs distinct nonces, so the runner first has the app sign a pool
// of requests (`POST /prepare?count=`, in chunks: a Worker may not make random values at start-up),
// and each is verified once, with the public API as a Worker's author would call it.
import { cryptoBackend, MemoryNonceStore, signRequest, verifyRequest } from '@aura/core';
import { Hono } from 'hono';

const credentials = { appId: 'aura_pk_bench', appSecret: 'aura_sk_bench_secret' };
const secrets = { [credentials.appId]: credentials.appSecret };
// At the module's global scope, as a Worker author would make it (the store draws its random
// keys on the first claim: workerd allows no random values at global scope).
const nonceStore = new MemoryNonceStore();
const signBody = `{"ttl":3600,"pad":"${'x'.repeat(78 - 21)}"}`;
const verifyBody = `{"pad":"${'x'.repeat(1024 - 10)}"}`;

const pool = [];
let next = 0;

const app = new Hono();
app.get('/backend', (c) => c.text(cryptoBackend.name));
app.post('/prepare', async (c) => {
  const count = Number(c.req.query('count'));
  for (let i = 0; i < count; i++) {
    const signed = await signRequest(credentials, {
      method: 'POST',
      url: '/hook',
      headers: { Host: 'bench.local' },
      body: verifyBody,
    });
    pool.push({ method: 'POST', url: '/hook', headers: signed.headers, body: verifyBody });
  }
  return c.text(String(pool.length - next));
});
app.get('/sign', async (c) => {
  const n = Number(c.req.query('n'));
  for (let i = 0; i < n; i++) {
    await signRequest(credentials, {
      method: 'POST',
      baseUrl: 'https://aura.example.com/api',
      url: '/auth/exchange',
      body: signBody,
    });
  }
  return c.text('ok');
});
app.get('/verify', async (c) => {
  const n = Number(c.req.query('n'));
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const request = pool[next++];
    if (request === undefined) return c.text('pool exhausted', 500);
    const result = await verifyRequest(request, { secrets, nonceStore });
    if (!result.ok) failed++;
  }
  return failed ? c.text(`${failed} failed`, 500) : c.text('ok');
});

export { app };

const announce = (port) => console.log(JSON.stringify({ port, backend: cryptoBackend.name }));
if (globalThis.Bun) {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch });
  announce(server.port);
} else if (globalThis.Deno) {
  Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => announce(port) }, app.fetch);
}
