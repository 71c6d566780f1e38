// The load generator: autocannon runs against 127.0.0.1 ports, in its own process (the
// orchestrator pins it to another CPU than the server). Requests are built before the clock
// starts; signed ones are pre-signed with distinct nonces and fresh timestamps, and handed out
// once each through `setupRequest`, so no nonce is ever sent twice. Every kind goes through the
// same `setupRequest` path, so the generator's own cost is the same for bare and for verified.
//
// A spec is JSON `{ port, kind, bodyBytes, seconds | amount, connections, expectedRps, plain,
// latencies }`: expectedRps > 0 signs, `plain` sends a JSON POST without Aura headers; kind is
// post (a JSON POST /hook), get (GET /guarded) or upload (POST /api/aura/upload-token). With a
// spec as argv[2] the process runs it and exits; without, it runs one spec per line read on
// stdin, one after the other, so the orchestrator keeps one generator per framework (no process
// start between loads) and reads the server's CPU between them. Prints one JSON line per spec:
// `{ rps, seconds, p50, p99, requests, non2xx, errors, exhausted, latencies? }`.
import { createInterface } from 'node:readline';
import { signRequest } from '@aura/core';
import autocannon from 'autocannon';

const credentials = JSON.parse(process.env.BENCH_CALLER ?? 'null');

/** A JSON object of exactly `bytes` bytes. */
export function jsonBody(bytes) {
  return `{"pad":"${'x'.repeat(bytes - 10)}"}`;
}

async function prepare(spec) {
  const host = `127.0.0.1:${spec.port}`;
  if (spec.kind === 'get') return () => ({ method: 'GET', path: '/guarded', headers: {} });
  if (spec.kind === 'upload') {
    return () => ({ method: 'POST', path: '/api/aura/upload-token', headers: {}, body: '' });
  }
  const body = jsonBody(spec.bodyBytes);
  const sign = () =>
    signRequest(credentials, {
      method: 'POST',
      url: '/hook',
      headers: { Host: host, 'Content-Type': 'application/json' },
      body,
    });
  if (spec.plain) {
    // A plain JSON POST, no Aura headers (the capture-under-outage app).
    const headers = { 'content-type': 'application/json' };
    return () => ({ method: 'POST', path: '/hook', headers, body });
  }
  if (!(spec.expectedRps > 0)) {
    // Unsigned loads send the same headers as signed ones (one signature, reused: the bare app
    // ignores them), so the generator builds requests of the same size on both sides.
    const { headers } = await sign();
    return () => ({ method: 'POST', path: '/hook', headers, body });
  }
  // Enough for the run at the fastest rate this machine gives, plus a margin.
  const count = Math.ceil(spec.expectedRps * spec.seconds * 1.5) + 1000;
  const pool = new Array(count);
  for (let i = 0; i < count; i++) pool[i] = { headers: (await sign()).headers, body };
  let next = 0;
  return (state) => {
    const item = pool[next++];
    if (item === undefined) {
      state.exhausted = true;
      return { method: 'POST', path: '/hook', headers: pool[0].headers, body };
    }
    return { method: 'POST', path: '/hook', headers: item.headers, body: item.body };
  };
}

/** One autocannon run of `spec`; resolves its result line. `spec.amount` runs that many
 * requests instead of `spec.seconds`; `spec.latencies` adds every response's latency (ms). */
async function run(spec) {
  const state = { exhausted: false };
  const nextRequest = await prepare(spec);
  const latencies = [];
  const result = await new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${spec.port}`,
        connections: spec.connections,
        ...(spec.amount ? { amount: spec.amount } : { duration: spec.seconds }),
        // autocannon stops at the first sample tick after `duration`: ticks every 100 ms, not
        // every second, so a run lasts its duration (a 0.5 s run would otherwise last 1 s).
        sampleInt: 100,
        requests: [{ setupRequest: (req) => ({ ...req, ...nextRequest(state) }) }],
      },
      (error, out) => (error ? reject(error) : resolve(out)),
    );
    if (spec.latencies) {
      instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
    }
  });
  return {
    // Over the time the run really lasted (autocannon's own clock, to 10 ms), not the asked one.
    rps: result['2xx'] / result.duration,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    exhausted: state.exhausted,
    ...(spec.latencies ? { latencies } : {}),
  };
}

if (process.argv[2]) {
  process.stdout.write(`${JSON.stringify(await run(JSON.parse(process.argv[2])))}\n`);
} else {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    process.stdout.write(`${JSON.stringify(await run(JSON.parse(line)))}\n`);
  }
}
