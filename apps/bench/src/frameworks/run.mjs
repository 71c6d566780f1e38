// Per framework: requests per second and p50/p99 with autocannon against real servers on
// 127.0.0.1. Each framework's servers run in one child process pinned to CPU 0 and its
// autocannon runs in another pinned to CPU 1 (`taskset`, when present). The loads of one round
// run back to back in an order rotated every round, and each ratio is taken within a round
// (variant / its bare pair), so a neighbour's load on this shared machine colours both sides.
// A sandbox answers the token guard's and /upload-token's exchanges; a redis-server backs the
// `*_redis` variants (Express). Around each load the server's own CPU time is read
// (process.cpuUsage, through its stdin), giving server CPU µs per request beside requests/s.
// Prints one JSON line.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startSandbox } from '@aura/sandbox';
import { median } from '../harness.mjs';
import { hasTaskset, pinned } from '../machine.mjs';
import { lineChannel } from '../probe.mjs';
import { startRedis } from './redis.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const quick = process.env.AURA_BENCH_QUICK === '1';
// --quick: one 0.3 s load per variant, a smoke of every framework and variant, not figures.
const seconds = Number(process.env.AURA_BENCH_SECONDS ?? (quick ? 0.3 : 2));
const rounds = Number(process.env.AURA_BENCH_ROUNDS ?? (quick ? 1 : 3));
const connections = 16;
const only = process.env.AURA_BENCH_ONLY?.split(',');
const FRAMEWORKS = ['express', 'fastify', 'koa', 'nest-express', 'nest-fastify', 'hono'].filter(
  (f) => !only || only.includes(f),
);

/** Each load: the server variant it hits, what it sends, and the bare load it is a ratio to. */
const LOADS = {
  bare: { variant: 'bare', kind: 'post', bodyBytes: 1024 },
  verify: { variant: 'verify', kind: 'post', bodyBytes: 1024, signed: true, pair: 'bare' },
  capture: { variant: 'capture', kind: 'post', bodyBytes: 1024, pair: 'bare' },
  bare_8k: { variant: 'bare', kind: 'post', bodyBytes: 8192 },
  capture_bodies: { variant: 'capture_bodies', kind: 'post', bodyBytes: 8192, pair: 'bare_8k' },
  bare_get: { variant: 'bare', kind: 'get' },
  token: { variant: 'token', kind: 'get', pair: 'bare_get' },
  upload: { variant: 'upload', kind: 'upload', pair: 'bare_get' },
  verify_redis: {
    variant: 'verify_redis',
    kind: 'post',
    bodyBytes: 1024,
    signed: true,
    pair: 'bare',
    redis: true,
  },
  upload_redis: { variant: 'upload_redis', kind: 'upload', pair: 'bare_get', redis: true },
};
const REDIS_FRAMEWORKS = new Set(['express']);

const sandbox = await startSandbox({
  rateLimits: { exchange: 1_000_000_000, config: 1_000_000_000, lifecycle: 1_000_000_000 },
  logLimit: 10,
});
const caller = { appId: 'aura_pk_bench_caller', appSecret: 'aura_sk_bench_caller_secret' };
const redis = await startRedis();
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
};

function startServer(framework, extraArgs = []) {
  const [cmd, args] = pinned(0, [process.execPath, ...extraArgs, path.join(here, 'server.mjs')]);
  const child = spawn(cmd, args, {
    env: {
      ...env,
      BENCH_FRAMEWORK: framework,
      ...(REDIS_FRAMEWORKS.has(framework) && redis ? { BENCH_REDIS_URL: redis.url } : {}),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const channel = lineChannel(child, `${framework} server`);
  return { child, ports: channel.next(60), ask: channel.ask };
}

/** The load generator of one framework's run (load.mjs, pinned to CPU 1): one process for all
 * its loads, each spec sent as a line and its result read back, so no process start stands
 * between a load and the server CPU read around it. */
function startGenerator() {
  const [cmd, args] = pinned(1, [process.execPath, path.join(here, 'load.mjs')]);
  const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const channel = lineChannel(child, 'load generator');
  return {
    run: (spec) => channel.ask(JSON.stringify(spec), spec.seconds + 120),
    stop: () => child.kill('SIGTERM'),
  };
}

/** A load, with a new generator tried again (up to ten times, 3 s apart) if the generator
 * fails: on a shared tree a package's dist can be mid-rebuild for a moment. */
async function load(bench, spec) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await bench.generator.run(spec);
    } catch (error) {
      bench.generator.stop();
      bench.generator = startGenerator();
      if (attempt >= 10) throw error;
      process.stderr.write(`[load] ${error.message}; trying again\n`);
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}

/** A load, with the server CPU it cost per completed request (µs): the server's
 * process.cpuUsage() before and after. A neighbour's load on this shared machine slows the
 * server without charging it CPU, so this figure holds where requests/s wobble. */
async function chargedLoad(bench, spec) {
  const before = (await bench.server.ask('cpu')).cpu;
  const result = await load(bench, spec);
  const after = (await bench.server.ask('cpu')).cpu;
  return { ...result, cpuUs: (after - before) / Math.max(1, result.requests) };
}

async function benchFramework(framework) {
  let server;
  let ports;
  for (let attempt = 0; ports === undefined; attempt++) {
    server = startServer(framework);
    try {
      ports = await server.ports;
    } catch (error) {
      server.child.kill('SIGTERM');
      if (attempt >= 10) throw error;
      process.stderr.write(`[${framework}] ${error.message}; trying again\n`);
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
  const bench = { server, generator: startGenerator() };
  try {
    // --quick leaves the Redis loads out and warms up for 0.2 s per load, not 1 s (a smoke, not
    // figures; the first requests of a cold server cost it ten times a warm one's).
    const names = Object.keys(LOADS).filter(
      (n) => !LOADS[n].redis || (!quick && ports[LOADS[n].variant]),
    );
    const spec = (name, secs) => ({
      port: ports[LOADS[name].variant],
      kind: LOADS[name].kind,
      bodyBytes: LOADS[name].bodyBytes,
      seconds: secs,
      connections,
      expectedRps: LOADS[name].signed ? 8_000 : 0, // above this machine's best; `exhausted` says if not
    });
    // Warm-up: JIT, the token cache (one exchange), the limiter's first window.
    for (const name of names) {
      await load(bench, spec(name, quick ? 0.2 : 1));
    }
    const perRound = [];
    for (let r = 0; r < rounds; r++) {
      const order = names.slice(r % names.length).concat(names.slice(0, r % names.length));
      const round = {};
      for (const name of order) round[name] = await chargedLoad(bench, spec(name, seconds));
      perRound.push(round);
      process.stderr.write(
        `[${framework}] round ${r + 1}: ${names.map((n) => `${n} ${Math.round(round[n].rps)}`).join(', ')}\n`,
      );
    }
    const out = { rps: {}, ratio: {}, cpu_us: {}, p50_ms: {}, p99_ms: {}, failures: {} };
    for (const name of names) {
      out.rps[name] = median(perRound.map((r) => r[name].rps));
      out.cpu_us[name] = median(perRound.map((r) => r[name].cpuUs));
      out.p50_ms[name] = median(perRound.map((r) => r[name].p50));
      out.p99_ms[name] = median(perRound.map((r) => r[name].p99));
      const failed = perRound.reduce((s, r) => s + r[name].non2xx + r[name].errors, 0);
      if (failed > 0 || perRound.some((r) => r[name].exhausted)) {
        out.failures[name] = { failed, exhausted: perRound.some((r) => r[name].exhausted) };
      }
      const pair = LOADS[name].pair;
      if (pair) {
        const ratios = perRound.map((r) => r[name].rps / r[pair].rps);
        out.ratio[name] = {
          median: median(ratios),
          min: Math.min(...ratios),
          max: Math.max(...ratios),
        };
      }
    }
    return out;
  } finally {
    bench.generator.stop();
    server.child.kill('SIGTERM');
  }
}

const adapters = {};
try {
  for (const framework of FRAMEWORKS) adapters[framework] = await benchFramework(framework);
} finally {
  await sandbox.close();
  redis?.stop();
}
process.stdout.write(
  `${JSON.stringify({ node: process.version, seconds, rounds, connections, pinned: hasTaskset, adapters })}\n`,
);
