// First-request cost of a known app id whose signing key is not cached yet, against an unknown
// app id, on both crypto backends (issue 8 item 4). An attacker who can tell the two apart by
// timing learns which app ids exist; the ratio should be about 1.
//
//   node packages/core/bench/decoy-timing.mjs [dist dir, default ../dist]
//
// Each round uses 1000 fresh app ids, each verified once: every known id pays its first key
// derivation, and every unknown id is one the verifier has never seen. Rounds alternate
// known and unknown so that drift in machine load hits both alike; the median round is reported.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const distDir = resolve(process.argv[2] ?? new URL('../dist', import.meta.url).pathname);
const builds = [
  ['node', await import(pathToFileURL(`${distDir}/index.js`).href)],
  ['web', await import(pathToFileURL(`${distDir}/web/index.js`).href)],
];

const IDS = 1000;
const ROUNDS = 9;
const TS = 1706140800;
const HOST = 'svc.example';
const BODY = '{"a":1}';

// The signature itself does not matter for timing (both paths compute the expected signature
// and compare); a well-formed Authorization with a wrong signature takes the same route for a
// known id as a right one up to the comparison, and lets the test skip signing altogether.
function request(appId) {
  return {
    method: 'POST',
    url: '/api/orders',
    headers: {
      host: HOST,
      'content-type': 'application/json',
      'x-aura-nonce': randomUUID(),
      'x-aura-timestamp': String(TS),
      authorization: `AURA-HMAC-SHA256 Credential=${appId},SignedHeaders=content-type;host;x-aura-nonce;x-aura-timestamp,Signature=${'0'.repeat(64)}`,
    },
    body: BODY,
  };
}

async function timeRound(core, ids, secrets) {
  const options = { secrets, now: () => TS * 1000 };
  const requests = ids.map(request);
  // CPU time of the process (all threads: WebCrypto works on the thread pool), not wall time,
  // so that other load on a shared machine does not count against either side.
  const start = process.cpuUsage();
  for (const r of requests) await core.verifyRequest(r, options);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

let round = 0;
function freshIds(kind) {
  round++;
  return Array.from({ length: IDS }, (_, i) => `${kind}-${round}-${i}-${randomUUID()}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const [name, core] of builds) {
  // Warm up the code paths (JIT) on ids that are thrown away.
  {
    const ids = freshIds('warm');
    await timeRound(core, ids, Object.fromEntries(ids.map((id) => [id, `secret-${id}`])));
    await timeRound(core, freshIds('warm'), {});
  }
  const known = [];
  const unknown = [];
  for (let r = 0; r < ROUNDS; r++) {
    const ids = freshIds('known');
    known.push(await timeRound(core, ids, Object.fromEntries(ids.map((id) => [id, `s-${id}`]))));
    unknown.push(await timeRound(core, freshIds('unknown'), {}));
  }
  const k = median(known);
  const u = median(unknown);
  console.log(
    `${name.padEnd(4)} backend: known uncached ${((k / IDS) * 1000).toFixed(1)} µs CPU/request, unknown ${((u / IDS) * 1000).toFixed(1)} µs CPU/request, ratio ${(k / u).toFixed(2)} (median of ${ROUNDS} rounds of ${IDS} ids)`,
  );
}
