// Hono on Bun and on Deno (binaries from the npm packages `bun` and `deno`): signs/s and
// verifies/s inside each runtime, measured from outside as the wall time of N requests that
// each sign (or verify) K times, minus the wall time of N requests doing nothing:
// ops/s = N × K / (wall(K) − wall(0)). workerd's figure comes from the core part (workerd.mjs).
// Prints one JSON line.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { median } from '../harness.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const bin = (name) => path.join(here, '..', '..', 'node_modules', '.bin', name);
const quick = process.env.AURA_BENCH_QUICK === '1';
const N = quick ? 20 : 50;
const K = 200;
const rounds = quick ? 2 : 5;
const RUNTIMES = {
  bun: [bin('bun'), [path.join(here, 'app.mjs')]],
  deno: [bin('deno'), ['run', '-A', path.join(here, 'app.mjs')]],
};

async function measure(name) {
  const [cmd, args] = RUNTIMES[name];
  const pool = N * K * (rounds + 1) + 100;
  const child = spawn(cmd, args, {
    cwd: path.join(here, '..', '..'),
    env: { ...process.env, BENCH_VERIFY_POOL: String(pool) },
    stdio: ['ignore', 'pipe', 'inherit'],
    // Its own process group: `.bin/bun` and `.bin/deno` may be wrappers, and the runtime their child.
    detached: true,
  });
  try {
    const info = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c) => {
        out += c;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
      setTimeout(() => reject(new Error(`${name} did not start in 120 s`)), 120_000).unref();
    });
    const version = await new Promise((resolve) => {
      const v = spawn(cmd, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      v.stdout.on('data', (c) => {
        out += c;
      });
      v.once('exit', () => resolve(out.trim().split('\n')[0]));
    });
    const base = `http://127.0.0.1:${info.port}`;
    async function wall(op, n) {
      const start = performance.now();
      for (let i = 0; i < N; i++) {
        const response = await fetch(`${base}/${op}?n=${n}`, {
          signal: AbortSignal.timeout(60_000),
        });
        const text = await response.text();
        if (response.status !== 200) throw new Error(`${name} /${op}: ${text}`);
      }
      return performance.now() - start;
    }
    const rates = { sign: [], verify: [] };
    await wall('sign', K); // warm-up (verify warms in its first round; its pool has one spare)
    for (let r = 0; r < rounds; r++) {
      for (const op of ['sign', 'verify']) {
        const empty = await wall(op, 0);
        const busy = await wall(op, K);
        rates[op].push((N * K * 1000) / Math.max(1, busy - empty));
      }
    }
    return {
      version,
      backend: info.backend,
      signsPerSecond: median(rates.sign),
      verifiesPerSecond: median(rates.verify),
      signRange: [Math.min(...rates.sign), Math.max(...rates.sign)],
      verifyRange: [Math.min(...rates.verify), Math.max(...rates.verify)],
    };
  } finally {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
  }
}

const out = { requests: N, opsPerRequest: K, rounds };
for (const name of Object.keys(RUNTIMES)) {
  try {
    out[name] = await measure(name);
  } catch (error) {
    out[name] = { skipped: String(error.message ?? error) };
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);
