// A Hono app that signs or verifies `n` requests per call, served by Bun or Deno (whichever runs
// it). The runner measures it from outside: wall time of N calls with n = K minus N with n = 0.
// Verification needs distinct nonces, so a pool of signed requests is made at start-up and
// each verified once. Prints `{ port, backend }` as one JSON line once it listens.
import { cryptoBackend, MemoryNonceStore, signRequest, verifyRequest } from '@aura/core';
import { Hono } from 'hono';

const credentials = { appId: 'aura_pk_bench', appSecret: 'aura_sk_bench_secret' };
const secrets = { [credentials.appId]: credentials.appSecret };
const nonceStore = new MemoryNonceStore();
const signBody = `{"ttl":3600,"pad":"${'x'.repeat(78 - 21)}"}`;
const verifyBody = `{"pad":"${'x'.repeat(1024 - 10)}"}`;
const POOL = Number(globalThis.process?.env?.BENCH_VERIFY_POOL ?? 40_000);

const pool = [];
for (let i = 0; i < POOL; i++) {
  const signed = await signRequest(credentials, {
    method: 'POST',
    url: '/hook',
    headers: { Host: 'bench.local' },
    body: verifyBody,
  });
  pool.push({ method: 'POST', url: '/hook', headers: signed.headers, body: verifyBody });
}
let next = 0;

const app = new Hono();
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

const backend = cryptoBackend.name;
const announce = (port) => console.log(JSON.stringify({ port, backend }));
if (globalThis.Bun) {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch });
  announce(server.port);
} else if (globalThis.Deno) {
  Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => announce(port) }, app.fetch);
} else {
  throw new Error('run this with bun or deno');
}
