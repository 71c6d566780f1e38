// Capture under outage: the same capture app, once with its collector up (the sandbox's) and
// once with it down (a port where nothing listens), each given the same number of 1 KiB POSTs by
// autocannon; p99 latency from autocannon, memory from the server's own process (peak RSS
// sampled during the load, and after). Goal: p99 down within 10 % of up; memory growth bounded
// by the capture queue budget (maxQueueBytes, 16 MiB by default). Prints one JSON line.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { startSandbox } from '@aura/sandbox';
import autocannon from 'autocannon';

const here = path.dirname(new URL(import.meta.url).pathname);
const quick = process.env.AURA_BENCH_QUICK === '1';
const AMOUNT = Number(process.env.AURA_BENCH_OUTAGE_REQUESTS ?? (quick ? 10_000 : 100_000));
const QUEUE_BUDGET = 16 * 1024 * 1024;
const body = `{"pad":"${'x'.repeat(1024 - 10)}"}`;

async function closedPort() {
  const probe = createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  return port;
}

async function get(port, p) {
  const response = await fetch(`http://127.0.0.1:${port}${p}`, {
    signal: AbortSignal.timeout(10_000),
  });
  return response.json();
}

async function measure(name, captureUrl, key) {
  const child = spawn(process.execPath, ['--expose-gc', path.join(here, 'server.mjs')], {
    env: { ...process.env, AURA_CAPTURE_URL: captureUrl, AURA_CAPTURE_KEY: key },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const { port } = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c) => {
        out += c;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
      });
      child.once('exit', (code) => reject(new Error(`capture server exited with ${code}`)));
    });
    const before = await get(port, '/_mem');
    let peakRss = before.rss;
    const sampler = setInterval(async () => {
      try {
        peakRss = Math.max(peakRss, (await get(port, '/_mem')).rss);
      } catch {}
    }, 500);
    const result = await autocannon({
      url: `http://127.0.0.1:${port}/hook`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections: 16,
      amount: AMOUNT,
    });
    clearInterval(sampler);
    const after = await get(port, '/_mem');
    peakRss = Math.max(peakRss, after.rss);
    return {
      name,
      requests: result.requests.total,
      non2xx: result.non2xx,
      rps: result.requests.average,
      p50_ms: result.latency.p50,
      p99_ms: result.latency.p99,
      rssBeforeMiB: before.rss / 2 ** 20,
      peakRssMiB: peakRss / 2 ** 20,
      rssGrowthMiB: (peakRss - before.rss) / 2 ** 20,
      heapAfterMiB: after.heapUsed / 2 ** 20,
      stats: after.stats,
    };
  } finally {
    child.kill('SIGTERM');
  }
}

const sandbox = await startSandbox({ logLimit: 10 });
try {
  const key = sandbox.credentials.captureKey;
  const up1 = await measure('up', `${sandbox.url}/capture`, key);
  const down = await measure('down', `http://127.0.0.1:${await closedPort()}/capture`, key);
  const up2 = await measure('up', `${sandbox.url}/capture`, key);
  // Up measured before and after down; the better-behaved of the two is not chosen: the mean.
  const upP99 = (up1.p99_ms + up2.p99_ms) / 2;
  const upGrowth = Math.max(up1.rssGrowthMiB, up2.rssGrowthMiB);
  process.stdout.write(
    `${JSON.stringify({
      requests: AMOUNT,
      queueBudgetMiB: QUEUE_BUDGET / 2 ** 20,
      up: [up1, up2],
      down,
      p99Ratio: down.p99_ms / upP99,
      extraRssMiB: down.rssGrowthMiB - upGrowth,
      goals: {
        p99Within10pct: down.p99_ms <= upP99 * 1.1,
        memoryWithinBudget: down.rssGrowthMiB - upGrowth <= QUEUE_BUDGET / 2 ** 20,
      },
    })}\n`,
  );
} finally {
  await sandbox.close();
}
