// Smoke test of the built package: import it from ESM and CJS, start a redis-server of its own
// (loopback, a free port, no persistence), and from each build share one token between two
// clients through createAuraRedis against a sandbox, then claim a nonce twice. Loopback only.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const esm = await import('@aura/redis');
const cjs = require('@aura/redis');
for (const [format, mod] of [
  ['esm', esm],
  ['cjs', cjs],
]) {
  if (typeof mod.createAuraRedis !== 'function')
    throw new Error(`${format}: createAuraRedis missing`);
}

const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address();
    probe.close(() => resolve(port));
  });
});
const dir = mkdtempSync(path.join(tmpdir(), 'aura-redis-smoke-'));
const server = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
server.once('error', (error) => {
  console.error(
    `redis-server could not start (${error.message}): run scripts/ensure-system-deps.sh as root`,
  );
  process.exit(1);
});
await new Promise((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error(`redis-server not ready:\n${out}`)), 10_000);
  server.stdout.on('data', (chunk) => {
    out += chunk;
    if (out.includes('Ready to accept connections')) {
      clearTimeout(timer);
      resolve();
    }
  });
});

const { AuraClient } = await import('@aura/core');
const { startSandbox } = await import('@aura/sandbox');
const sandbox = await startSandbox();
try {
  for (const [format, mod] of [
    ['esm', esm],
    ['cjs', cjs],
  ]) {
    const stores = [
      mod.createAuraRedis(`redis://127.0.0.1:${port}`, { prefix: `smoke-${format}` }),
      mod.createAuraRedis(`redis://127.0.0.1:${port}`, { prefix: `smoke-${format}` }),
    ];
    await Promise.all(stores.map((aura) => aura.ready()));
    const tokens = await Promise.all(
      stores.map((aura) =>
        new AuraClient({
          baseUrl: sandbox.apiUrl,
          ...sandbox.credentials,
          tokenStore: aura.tokenStore,
          reauthStore: aura.reauthStore,
        }).getAccessToken(),
      ),
    );
    if (tokens[0] !== tokens[1]) throw new Error(`${format}: two clients got two tokens`);
    const first = await stores[0].nonceStore.claim('app', 'nonce', 1_000);
    const second = await stores[1].nonceStore.claim('app', 'nonce', 1_000);
    if (first !== true || second !== false)
      throw new Error(`${format}: nonce claimed ${first}, ${second}`);
    await Promise.all(stores.map((aura) => aura.close()));
  }
  const exchanges = sandbox.requests().filter((r) => r.path === '/api/auth/exchange').length;
  if (exchanges !== 2) throw new Error(`expected one exchange per build, saw ${exchanges}`);
  console.log(
    '@aura/redis smoke: esm + cjs imports ok; one shared token and one nonce history per build',
  );
} finally {
  await sandbox.close();
  server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
