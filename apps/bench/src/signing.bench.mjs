// Signing speed: @aura/core against aws4 and @smithy/signature-v4 on the same request.
// Goal (the benchmarks issue): at least 2x aws4 and 5x @smithy/signature-v4.

import { signRequest, verifyRequest } from '@aura/core';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import aws4 from 'aws4';
import { Bench } from 'tinybench';

const body = '{"ttl":3600,"scopes":["upload:init","upload:manage","integration:read"]}';
const credentials = { appId: 'aura_pk_bench', appSecret: 'aura_sk_bench_secret' };
const awsCredentials = { accessKeyId: 'aura_pk_bench', secretAccessKey: 'aura_sk_bench_secret' };
const smithy = new SignatureV4({
  credentials: awsCredentials,
  region: 'us-east-1',
  service: 'aura_request',
  sha256: Hash.bind(null, 'sha256'),
});

const bench = new Bench({ time: 2000, warmupTime: 500 });
bench
  .add('@aura/core signRequest', async () => {
    await signRequest(credentials, {
      method: 'POST',
      baseUrl: 'https://aura.example.com/api',
      url: '/auth/exchange',
      headers: { 'X-Api-Key': 'aura_au_bench' },
      body,
    });
  })
  .add('aws4.sign', () => {
    aws4.sign(
      {
        host: 'aura.example.com',
        path: '/api/auth/exchange',
        method: 'POST',
        service: 'aura_request',
        region: 'us-east-1',
        headers: { 'Content-Type': 'application/json', 'X-Api-Key': 'aura_au_bench' },
        body,
      },
      awsCredentials,
    );
  })
  .add('@smithy/signature-v4 sign', async () => {
    await smithy.sign(
      new HttpRequest({
        method: 'POST',
        protocol: 'https:',
        hostname: 'aura.example.com',
        path: '/api/auth/exchange',
        headers: {
          host: 'aura.example.com',
          'content-type': 'application/json',
          'x-api-key': 'aura_au_bench',
        },
        body,
      }),
    );
  });

// Verification of a genuine request (fresh nonce each time, so the nonce store is exercised).
const secrets = { aura_pk_bench: 'aura_sk_bench_secret' };
bench.add('@aura/core verifyRequest', async () => {
  const signed = await signRequest(credentials, {
    method: 'POST',
    url: '/api/auth/exchange',
    headers: { Host: 'aura.example.com' },
    body,
  });
  const result = await verifyRequest(
    { method: 'POST', url: '/api/auth/exchange', headers: signed.headers, body },
    { secrets },
  );
  if (!result.ok) throw new Error(result.message);
});

await bench.run();
console.table(bench.table());

const hz = Object.fromEntries(
  bench.tasks.map((t) => [t.name, t.result.throughput?.mean ?? t.result.hz]),
);
const ours = hz['@aura/core signRequest'];
const vsAws4 = ours / hz['aws4.sign'];
const vsSmithy = ours / hz['@smithy/signature-v4 sign'];
console.log(
  `signRequest: ${vsAws4.toFixed(2)}x aws4 (goal 2x), ${vsSmithy.toFixed(2)}x @smithy/signature-v4 (goal 5x)`,
);
if (vsAws4 < 2 || vsSmithy < 5) {
  console.error('signing speed goal missed');
  process.exitCode = 1;
}
