// A CPU profile of one framework's variant under load: `node src/report/profile.mjs express
// capture_bodies 8192 <outDir>`. The server runs with --cpu-prof; autocannon loads it for a few
// seconds; the profile's top self-time functions are printed (the .cpuprofile opens in DevTools).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startSandbox } from '@aura/sandbox';

const [framework, variant, bodyBytes, outDir] = process.argv.slice(2);
const here = path.dirname(new URL(import.meta.url).pathname);
const sandbox = await startSandbox({
  rateLimits: { exchange: 1e9, config: 1e9, lifecycle: 1e9 },
  logLimit: 10,
});
const caller = { appId: 'aura_pk_bench_caller', appSecret: 'aura_sk_bench_caller_secret' };
const env = {
  ...process.env,
  AURA_BASE_URL: sandbox.apiUrl,
  AURA_APP_ID: sandbox.credentials.appId,
  AURA_APP_SECRET: sandbox.credentials.appSecret,
  AURA_API_KEY: sandbox.credentials.apiKey,
  AURA_CAPTURE_URL: `${sandbox.url}/capture`,
  AURA_CAPTURE_KEY: sandbox.credentials.captureKey,
  BENCH_SECRETS: JSON.stringify({ [caller.appId]: caller.appSecret }),
  BENCH_CALLER: JSON.stringify(caller),
  BENCH_FRAMEWORK: framework,
};
const server = spawn(
  process.execPath,
  ['--cpu-prof', `--cpu-prof-dir=${outDir}`, path.join(here, '../frameworks/server.mjs')],
  {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const ports = await new Promise((resolve) => {
  let out = '';
  server.stdout.on('data', (c) => {
    out += c;
    if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
  });
});
const kind = variant === 'token' ? 'get' : variant.startsWith('upload') ? 'upload' : 'post';
const spec = {
  port: ports[variant],
  kind,
  bodyBytes: Number(bodyBytes),
  seconds: 6,
  connections: 16,
  expectedRps: variant.startsWith('verify') ? 25_000 : 0,
};
await new Promise((resolve) => {
  const load = spawn(
    process.execPath,
    [path.join(here, '../frameworks/load.mjs'), JSON.stringify(spec)],
    { env, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  load.once('exit', resolve);
});
await new Promise((resolve) => {
  server.once('exit', resolve);
  server.kill('SIGTERM');
});
await sandbox.close();

const file = readdirSync(outDir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .sort()
  .at(-1);
const profile = JSON.parse(readFileSync(path.join(outDir, file), 'utf8'));
const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) {
  const n = byId.get(profile.samples[i]);
  const key = `${n.callFrame.functionName || '(anonymous)'} ${path.basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
}
const total = [...self.values()].reduce((s, v) => s + v, 0);
console.log(`profile ${file}: top self time`);
for (const [key, us] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
}
