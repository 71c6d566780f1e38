// Hono on Bun, on Deno (binaries from the npm packages `bun` and `deno`) and in workerd (the
// same app bundled as a Worker with the workerd conditions, so the web build, run by Miniflare):
// signs/s and verifies/s inside each runtime, measured from outside as the wall time of N
// requests that each sign (or verify) K times, minus the wall time of N requests doing nothing:
// ops/s = N × K / (wall(K) − wall(0)). Prints one JSON line.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median } from '../harness.mjs';
import { bundleWorker } from '../machine.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const benchRoot = path.join(here, '..', '..');
const bin = (name) => path.join(benchRoot, 'node_modules', '.bin', name);
const quick = process.env.AURA_BENCH_QUICK === '1';
// --quick: one short round (a smoke of each runtime, not figures).
const N = quick ? 10 : 50;
const K = quick ? 100 : 200;
const rounds = quick ? 1 : 5;
const PREPARE_CHUNK = 5_000;

/** A runtime serving app.mjs over HTTP on 127.0.0.1 (Bun, Deno). */
async function startProcess(name, cmd, args) {
  const child = spawn(cmd, args, {
    cwd: benchRoot,
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
    // Its own process group: `.bin/bun` and `.bin/deno` may be wrappers, and the runtime their child.
    detached: true,
  });
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
  };
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
    return {
      version,
      backend: info.backend,
      fetch: (p, init = {}) =>
        fetch(`${base}${p}`, { ...init, signal: AbortSignal.timeout(60_000) }),
      stop,
    };
  } catch (error) {
    stop();
    throw error;
  }
}

/** app.mjs bundled as a Worker with the workerd conditions (the web build), run by Miniflare's
 * workerd; requests go through dispatchFetch, over HTTP to workerd. */
async function startWorkerd() {
  const [{ Miniflare }, miniflarePackage] = await Promise.all([
    import('miniflare'),
    import('miniflare/package.json', { with: { type: 'json' } }),
  ]);
  const dir = await mkdtemp(path.join(tmpdir(), 'aura-bench-workerd-hono-'));
  let mf;
  try {
    const entry = path.join(dir, 'entry.mjs');
    await writeFile(
      entry,
      `export { app as default } from ${JSON.stringify(path.join(here, 'app.mjs'))};\n`,
    );
    const outfile = path.join(dir, 'worker.mjs');
    await bundleWorker(entry, outfile);
    mf = new Miniflare({
      modules: true,
      scriptPath: outfile,
      modulesRoot: dir,
      compatibilityDate: '2025-09-01',
    });
    await mf.ready;
    const worker = mf;
    const backend = await (await worker.dispatchFetch('http://bench/backend')).text();
    if (backend !== 'webcrypto')
      throw new Error(`the Worker did not load the web build: ${backend}`);
    return {
      version: `Miniflare ${miniflarePackage.default.version}`,
      backend,
      fetch: (p, init) => worker.dispatchFetch(`http://bench${p}`, init),
      stop: async () => {
        await worker.dispose();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await mf?.dispose().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

const RUNTIMES = {
  bun: () => startProcess('bun', bin('bun'), [path.join(here, 'app.mjs')]),
  deno: () => startProcess('deno', bin('deno'), ['run', '-A', path.join(here, 'app.mjs')]),
  workerd: startWorkerd,
};

async function measure(name) {
  const target = await RUNTIMES[name]();
  try {
    async function call(p, init) {
      const response = await target.fetch(p, init);
      const text = await response.text();
      if (response.status !== 200) throw new Error(`${name} ${p}: ${text}`);
      return text;
    }
    // The verify pool: every verification of the run (warm-up round included) has its nonce.
    for (let left = N * K * (rounds + 1) + 100; left > 0; left -= PREPARE_CHUNK) {
      await call(`/prepare?count=${Math.min(left, PREPARE_CHUNK)}`, { method: 'POST' });
    }
    async function wall(op, n) {
      const start = performance.now();
      for (let i = 0; i < N; i++) await call(`/${op}?n=${n}`);
      return performance.now() - start;
    }
    const rates = { sign: [], verify: [] };
    await wall('sign', K); // warm-up
    await wall('verify', K);
    for (let r = 0; r < rounds; r++) {
      for (const op of ['sign', 'verify']) {
        const empty = await wall(op, 0);
        const busy = await wall(op, K);
        rates[op].push((N * K * 1000) / Math.max(1, busy - empty));
      }
    }
    return {
      version: target.version,
      backend: target.backend,
      signsPerSecond: median(rates.sign),
      verifiesPerSecond: median(rates.verify),
      signRange: [Math.min(...rates.sign), Math.max(...rates.sign)],
      verifyRange: [Math.min(...rates.verify), Math.max(...rates.verify)],
    };
  } finally {
    await target.stop();
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
