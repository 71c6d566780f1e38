// Smoke test of the built package: import it from ESM and CJS, then run the bin on the
// protocol's vector 1 and check the signature it prints.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const esm = await import('@aura/cli');
const cjs = createRequire(import.meta.url)('@aura/cli');
for (const [name, mod] of [
  ['esm', esm],
  ['cjs', cjs],
]) {
  if (typeof mod.runAura !== 'function') throw new Error(`${name}: runAura missing`);
}

const run = spawnSync(
  process.execPath,
  [
    path.join(here, '../dist/cli.js'),
    'sign',
    '--explain',
    '--app-id',
    'test-app-id',
    '--timestamp',
    '1706140800',
    '--nonce',
    '550e8400-e29b-41d4-a716-446655440000',
    '--url',
    '/api/auth/exchange',
    '--header',
    'Host: aura.example.com',
    '--body',
    '{"ttl":3600,"scopes":["upload:init","upload:manage"]}',
  ],
  { encoding: 'utf8', env: { PATH: process.env.PATH, AURA_APP_SECRET: 'test-secret-key' } },
);
const expected = '4e865169c280c238e93ea51681fdf9e5977ecbf0dc60fbbf0b6b7ccba2005093';
if (run.status !== 0 || !run.stdout.includes(`Signature: ${expected}`)) {
  throw new Error(
    `aura sign --explain did not print vector 1's signature:\n${run.stdout}${run.stderr}`,
  );
}
console.log('@aura/cli smoke: esm + cjs imports ok; bin signs vector 1');
