// The load generator: one autocannon run against one port, in its own process (the orchestrator
// pins it to another CPU than the server). Requests are built before the clock starts; signed
// ones are pre-signed with distinct nonces and fresh timestamps, and handed out once each
// through `setupRequest`, so no nonce is ever sent twice. Every kind goes through the same
// `setupRequest` path, so the generator's own cost is the same for bare and for verified.
//
// argv[2]: JSON `{ port, kind, bodyBytes, seconds, connections, expectedRps }`; expectedRps > 0 signs, kind one of
// post (a JSON POST /hook), get (GET /guarded), upload (POST /api/aura/upload-token).
// Prints one JSON line: `{ rps, p50, p99, requests, non2xx, errors, exhausted }`.
import { signRequest } from '@aura/core';
import autocannon from 'autocannon';

const spec = JSON.parse(process.argv[2]);
const credentials = JSON.parse(process.env.BENCH_CALLER);

/** A JSON object of exactly `bytes` bytes. */
export function jsonBody(bytes) {
  return `{"pad":"${'x'.repeat(bytes - 10)}"}`;
}

async function prepare() {
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
  return () => {
    const item = pool[next++];
    if (item === undefined) {
      exhausted = true;
      return { method: 'POST', path: '/hook', headers: pool[0].headers, body };
    }
    return { method: 'POST', path: '/hook', headers: item.headers, body: item.body };
  };
}

let exhausted = false;
const nextRequest = await prepare();
const result = await autocannon({
  url: `http://127.0.0.1:${spec.port}`,
  connections: spec.connections,
  duration: spec.seconds,
  requests: [{ setupRequest: (req) => ({ ...req, ...nextRequest() }) }],
});
const ok = result['2xx'];
process.stdout.write(
  `${JSON.stringify({
    rps: ok / spec.seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    exhausted,
  })}\n`,
);
