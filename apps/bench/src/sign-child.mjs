// One Node's figures: signing against aws4, @smithy/signature-v4 and the pad floor at three body
// sizes; verification against its floor; the web build against the node build. Prints one JSON
// line. Run by index.mjs under Node 20 and Node 24.

import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { signRequest, verifyRequest } from '@aura/core';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import aws4 from 'aws4';
import { padFloorSigner, padFloorVerifier } from './floor.mjs';
import { interleave, ratio } from './harness.mjs';

const quick = process.env.AURA_BENCH_QUICK === '1';
// --quick: one short round of each (a smoke of the harness, not figures).
const rounds = quick ? 1 : 7;
const sliceMs = quick ? 50 : 300;
const warmupMs = quick ? 50 : 200;

const credentials = { appId: 'aura_pk_bench', appSecret: 'aura_sk_bench_secret' };
const awsCredentials = { accessKeyId: credentials.appId, secretAccessKey: credentials.appSecret };
const host = 'aura.example.com';
const path_ = '/api/auth/exchange';

/** A JSON body of exactly `size` bytes. */
function jsonBody(size) {
  const head = '{"ttl":3600,"pad":"';
  const tail = '"}';
  return head + 'x'.repeat(size - head.length - tail.length) + tail;
}
const sizes = { '78 B': 78, '1 KiB': 1024, '64 KiB': 65536 };

const smithy = new SignatureV4({
  credentials: awsCredentials,
  region: 'us-east-1',
  service: 'aura_request',
  sha256: Hash.bind(null, 'sha256'),
});
const floorSign = padFloorSigner(credentials);

// The floor must be the same protocol: its signature equals ours for the same inputs.
{
  const fixed = { timestamp: 1706140800, nonce: '550e8400-e29b-41d4-a716-446655440000' };
  const body = jsonBody(78);
  const ours = await signRequest(
    credentials,
    { method: 'POST', baseUrl: `https://${host}/api`, url: '/auth/exchange', body },
    fixed,
  );
  const floor = floorSign({ host, path: path_, body }, fixed);
  if (ours.headers.Authorization !== floor.headers.Authorization) {
    throw new Error(
      `the pad floor signs differently:\n${ours.headers.Authorization}\n${floor.headers.Authorization}`,
    );
  }
}

function signTasks(sign, body) {
  return {
    aura: {
      async: true,
      fn: () =>
        sign(credentials, {
          method: 'POST',
          baseUrl: `https://${host}/api`,
          url: '/auth/exchange',
          body,
        }),
    },
  };
}

const result = { node: process.version, sign: {}, verify: {}, web: {} };

for (const [label, size] of Object.entries(sizes)) {
  const body = jsonBody(size);
  const tasks = {
    ...signTasks(signRequest, body),
    floor: { fn: () => floorSign({ host, path: path_, body }) },
    aws4: {
      fn: () =>
        aws4.sign(
          {
            host,
            path: path_,
            method: 'POST',
            service: 'aura_request',
            region: 'us-east-1',
            headers: { 'Content-Type': 'application/json' },
            body,
          },
          awsCredentials,
        ),
    },
    smithy: {
      async: true,
      fn: () =>
        smithy.sign(
          new HttpRequest({
            method: 'POST',
            protocol: 'https:',
            hostname: host,
            path: path_,
            headers: { host, 'content-type': 'application/json' },
            body,
          }),
        ),
    },
  };
  const { hz, perRound } = await interleave(tasks, { rounds, sliceMs, warmupMs });
  result.sign[label] = {
    hz,
    vsFloor: ratio(perRound, 'aura', 'floor'),
    vsAws4: ratio(perRound, 'aura', 'aws4'),
    vsSmithy: ratio(perRound, 'aura', 'smithy'),
  };
  process.stderr.write(
    `[${process.version}] sign ${label}: ${(result.sign[label].vsFloor.median).toFixed(2)} of the floor\n`,
  );
}

// --- Verification of genuine 1 KiB requests, distinct nonces, against its floor. ---
// The verifier keeps its default nonce store (one per process, as a server has); every round
// verifies freshly signed requests, so no nonce is ever claimed twice.
{
  const body = jsonBody(1024);
  const bytes = Buffer.from(body);
  const secrets = { [credentials.appId]: credentials.appSecret };
  async function signPool(size) {
    const pool = [];
    for (let i = 0; i < size; i++) {
      const signed = await signRequest(credentials, {
        method: 'POST',
        url: path_,
        headers: { Host: host },
        body,
      });
      // As node:http hands them over: lower-case names.
      const headers = {};
      for (const [name, value] of Object.entries(signed.headers))
        headers[name.toLowerCase()] = value;
      pool.push({ method: 'POST', url: path_, headers, body: bytes });
    }
    return pool;
  }
  const verifySliceMs = Math.min(sliceMs, 200);
  let poolSize = quick ? 5_000 : 20_000;
  let pool = [];
  let floorVerify;
  let next = 0;
  let failures = 0;
  let exhausted = false;
  const take = () => {
    if (next === pool.length) {
      exhausted = true;
      next = 0;
    }
    return pool[next++];
  };
  const tasks = {
    aura: {
      async: true,
      before: async () => {
        pool = await signPool(poolSize);
        next = 0;
      },
      fn: async () => {
        const r = await verifyRequest(take(), { secrets });
        if (!r.ok) failures++;
      },
    },
    floor: {
      before: () => {
        floorVerify = padFloorVerifier(secrets);
        next = 0;
      },
      fn: () => {
        if (!floorVerify(take())) failures++;
      },
    },
  };
  let { hz, perRound } = await interleave(tasks, { rounds, sliceMs: verifySliceMs, warmupMs });
  if (exhausted) {
    // A slice outran its pool: measured again with pools sized from what was seen.
    poolSize = Math.ceil((Math.max(hz.aura, hz.floor) * verifySliceMs * 1.5) / 1000);
    exhausted = false;
    failures = 0;
    ({ hz, perRound } = await interleave(tasks, { rounds, sliceMs: verifySliceMs, warmupMs }));
  }
  if (exhausted) throw new Error('the verify pool ran out twice');
  result.verify = { size: '1 KiB', hz, vsFloor: ratio(perRound, 'aura', 'floor'), failures };
  process.stderr.write(
    `[${process.version}] verify: ${result.verify.vsFloor.median.toFixed(2)} of the floor (${failures} failures)\n`,
  );
}

// --- The web build (`worker` condition: dist/web) against the node build, same process. ---
{
  const require = createRequire(import.meta.url);
  const coreDir = path.dirname(require.resolve('@aura/core/package.json'));
  const web = await import(pathToFileURL(path.join(coreDir, 'dist/web/index.js')).href);
  if (web.cryptoBackend.name !== 'webcrypto') throw new Error('dist/web is not the web build');
  for (const label of ['78 B', '1 KiB', '64 KiB']) {
    const body = jsonBody(sizes[label]);
    const tasks = {
      web: signTasks(web.signRequest, body).aura,
      node: signTasks(signRequest, body).aura,
    };
    const { hz, perRound } = await interleave(tasks, { rounds, sliceMs, warmupMs });
    result.web[label] = { hz, vsNode: ratio(perRound, 'web', 'node') };
    process.stderr.write(`[${process.version}] web ${label}: ${Math.round(hz.web)} signs/s\n`);
  }
}

process.stdout.write(`${JSON.stringify(result)}\n`);
