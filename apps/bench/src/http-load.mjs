// node:http verify vs bare, 1 KiB POST bodies, keep-alive, a fixed number of requests in flight.
// Rounds alternate bare and verified; each verified round sends freshly signed requests (distinct
// nonces) and the bare one the same requests, so the client's work is the same for both.
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { signRequest } from '@aura/core';
import { median } from './harness.mjs';

const quick = process.env.AURA_BENCH_QUICK === '1';
// --quick: one short round (a smoke, not figures).
const rounds = quick ? 1 : 6;
const phaseMs = quick ? 500 : 2000;
const concurrency = 16;
const credentials = { appId: 'aura_pk_bench', appSecret: 'aura_sk_bench_secret' };
const body = `{"pad":"${'x'.repeat(1024 - 10)}"}`;

const server = spawn(process.execPath, [new URL('./http-server.mjs', import.meta.url).pathname], {
  env: {
    ...process.env,
    AURA_BENCH_SECRETS: JSON.stringify({ [credentials.appId]: credentials.appSecret }),
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const ports = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (c) => {
    out += c;
    if (out.includes('\n')) resolve(JSON.parse(out));
  });
  server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  setTimeout(() => reject(new Error('server did not start')), 30_000).unref();
});

const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function send(port, signed) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/hook',
        headers: signed.headers,
        agent,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(signed.body);
  });
}

async function pool(size) {
  const out = [];
  for (let i = 0; i < size; i++) {
    out.push(
      await signRequest(credentials, {
        method: 'POST',
        url: '/api/hook',
        headers: { Host: '127.0.0.1' },
        body,
      }),
    );
  }
  return out;
}

async function phase(port, requests) {
  let next = 0;
  let done = 0;
  let failed = 0;
  const statuses = {};
  const end = performance.now() + phaseMs;
  const start = performance.now();
  async function worker() {
    while (performance.now() < end && next < requests.length) {
      const status = await send(port, requests[next++]);
      done++;
      if (status !== 200) {
        failed++;
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const exhausted = next >= requests.length;
  return { rps: (done * 1000) / (performance.now() - start), failed, statuses, exhausted };
}

const perRound = [];
let failures = 0;
let poolSize = quick ? 5_000 : 40_000;
const warmup = quick ? 500 : 2_000;
await phase(ports.bare, await pool(warmup)); // warm-up
await phase(ports.verified, await pool(warmup));
for (let r = 0; r < rounds; r++) {
  const requests = await pool(poolSize);
  const order = r % 2 ? ['verified', 'bare'] : ['bare', 'verified'];
  const round = {};
  for (const name of order) {
    const result = await phase(ports[name], requests.slice());
    if (name === 'verified') failures += result.failed;
    if (result.exhausted) poolSize *= 2;
    round[name] = result.rps;
  }
  perRound.push(round);
  process.stderr.write(
    `[http] round ${r + 1}: bare ${Math.round(round.bare)} req/s, verified ${Math.round(round.verified)} req/s\n`,
  );
}
server.kill('SIGTERM');
agent.destroy();
const ratios = perRound.map((r) => r.verified / r.bare);
process.stdout.write(
  `${JSON.stringify({
    bodyBytes: Buffer.byteLength(body),
    concurrency,
    rounds,
    phaseMs,
    bare: median(perRound.map((r) => r.bare)),
    verified: median(perRound.map((r) => r.verified)),
    ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
    verifiedFailures: failures,
  })}\n`,
);
