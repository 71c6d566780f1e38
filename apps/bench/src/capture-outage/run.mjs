// Capture under outage: the same capture app twice, one with its collector up (the sandbox's),
// one with it down (a port where nothing listens), each given the same number of 1 KiB POSTs.
// Both servers run at once, pinned to CPU 0, and the load generator (frameworks/load.mjs, one
// process pinned to CPU 1) gives them their requests in interleaved chunks, alternating which
// goes first, so a change in the machine's load falls on both alike. p50/p99 over every
// response's latency; memory from the servers' own processes (peak resident set from
// getrusage, read after the load; heap after a collection); server CPU per request from
// process.cpuUsage. Goals: p99 down within 10 % of up; memory growth beyond the up run bounded
// by the capture queue budget (maxQueueBytes, 16 MiB by default). Prints one JSON line.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { startSandbox } from '@aura/sandbox';
import { hasTaskset, pinned } from '../machine.mjs';
import { lineChannel } from '../probe.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const quick = process.env.AURA_BENCH_QUICK === '1';
const AMOUNT = Number(process.env.AURA_BENCH_OUTAGE_REQUESTS ?? (quick ? 1_000 : 100_000));
const CHUNKS = quick ? 2 : 5;
const WARMUP = quick ? 100 : 2_000;
const CONNECTIONS = 16;
const QUEUE_BUDGET = 16 * 1024 * 1024;
const MiB = 2 ** 20;

async function closedPort() {
  const probe = createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  return port;
}

async function startServer(name, captureUrl, key) {
  const [cmd, args] = pinned(0, [process.execPath, '--expose-gc', path.join(here, 'server.mjs')]);
  const child = spawn(cmd, args, {
    env: { ...process.env, AURA_CAPTURE_URL: captureUrl, AURA_CAPTURE_KEY: key },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const channel = lineChannel(child, `capture server (${name})`);
  const { port } = await channel.next(60);
  return {
    name,
    port,
    child,
    ask: channel.ask,
    latencies: [],
    cpuUs: 0,
    requests: 0,
    non2xx: 0,
    errors: 0,
    seconds: 0,
  };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

const sandbox = await startSandbox({ logLimit: 10 });
const servers = [];
let generator;
try {
  const key = sandbox.credentials.captureKey;
  servers.push(await startServer('up', `${sandbox.url}/capture`, key));
  servers.push(await startServer('down', `http://127.0.0.1:${await closedPort()}/capture`, key));
  const [cmd, args] = pinned(1, [
    process.execPath,
    path.join(here, '..', 'frameworks', 'load.mjs'),
  ]);
  const loadChild = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  generator = lineChannel(loadChild, 'load generator');
  generator.stop = () => loadChild.kill('SIGTERM');
  const spec = (server, amount, latencies) =>
    JSON.stringify({
      port: server.port,
      kind: 'post',
      plain: true,
      bodyBytes: 1024,
      amount,
      connections: CONNECTIONS,
      latencies,
    });
  // Warm-up (JIT, the capture client's first batch), then the memory each starts the run with.
  for (const s of servers) await generator.ask(spec(s, WARMUP, false), 300);
  for (const s of servers) s.before = await s.ask('mem');
  const perChunk = Math.ceil(AMOUNT / CHUNKS);
  for (let c = 0; c < CHUNKS; c++) {
    const order = c % 2 ? [...servers].reverse() : servers;
    for (const s of order) {
      const cpuBefore = (await s.ask('cpu')).cpu;
      const r = await generator.ask(spec(s, perChunk, true), 600);
      s.cpuUs += (await s.ask('cpu')).cpu - cpuBefore;
      for (const ms of r.latencies) s.latencies.push(ms);
      s.requests += r.requests;
      s.non2xx += r.non2xx;
      s.errors += r.errors;
      s.seconds += r.seconds;
    }
    process.stderr.write(
      `[outage] chunk ${c + 1}/${CHUNKS}: ${servers.map((s) => `${s.name} ${s.requests}`).join(', ')} requests\n`,
    );
  }
  const measured = {};
  for (const s of servers) {
    // What was still being sent when the load stopped is left to the capture client: the figures
    // are read once it has had a moment (the up server's queue drains; the down one's cannot).
    await new Promise((r) => setTimeout(r, 500));
    const after = await s.ask('mem');
    const sorted = s.latencies.sort((a, b) => a - b);
    measured[s.name] = {
      name: s.name,
      requests: s.requests,
      non2xx: s.non2xx,
      errors: s.errors,
      rps: s.requests / s.seconds,
      cpu_us: s.cpuUs / s.requests,
      p50_ms: percentile(sorted, 50),
      p99_ms: percentile(sorted, 99),
      rssBeforeMiB: s.before.rss / MiB,
      peakRssMiB: after.maxRss / MiB,
      rssGrowthMiB: (after.maxRss - s.before.rss) / MiB,
      heapAfterMiB: after.heapUsed / MiB,
      stats: after.stats,
    };
  }
  const { up, down } = measured;
  process.stdout.write(
    `${JSON.stringify({
      requests: AMOUNT,
      chunks: CHUNKS,
      connections: CONNECTIONS,
      pinned: hasTaskset,
      queueBudgetMiB: QUEUE_BUDGET / MiB,
      up: [up],
      down,
      p99Ratio: down.p99_ms / up.p99_ms,
      // The two servers are the same app under the same load, so what the collector's absence
      // costs is the difference of their peaks (and of what their heaps hold at the end). Not
      // of their growths: each grows from its own reading after the warm-up, and the up server's
      // is already higher then by what sending costs (gzip, sockets), which made an earlier
      // version of this run charge the down server with up to 15 MiB it never held.
      extraRssMiB: down.peakRssMiB - up.peakRssMiB,
      extraHeapMiB: down.heapAfterMiB - up.heapAfterMiB,
      goals: {
        p99Within10pct: down.p99_ms <= up.p99_ms * 1.1,
        memoryWithinBudget:
          down.peakRssMiB - up.peakRssMiB <= QUEUE_BUDGET / MiB &&
          down.heapAfterMiB - up.heapAfterMiB <= QUEUE_BUDGET / MiB,
      },
    })}\n`,
  );
} finally {
  generator?.stop();
  for (const s of servers) s.child.kill('SIGTERM');
  await sandbox.close();
}
