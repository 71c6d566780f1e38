// Capture's cost on the request path: server CPU per request of a node:http 1 KiB JSON echo,
// bare and with the core's capture tee (metadata; metadata + bodies), events sent to a local
// collector (gzip batches, as in production). Rounds alternate the variants in one run; CPU time
// of each server process (all its threads: zlib runs on libuv's pool) is divided by the requests
// it answered, so the figure holds on a shared machine where requests per second wander.
//
//   node apps/bench/src/capture-hotpath.mjs            (AURA_BENCH_QUICK=1: fewer, shorter rounds)
//   node --cpu-prof … capture-hotpath.mjs serve meta   (one server alone, to profile it)
import { fork } from 'node:child_process';
import { Agent, createServer, request } from 'node:http';

const VARIANTS = ['bare', 'meta', 'bodies'];

if (process.argv[2] === 'serve') await serve(process.argv[3]);
else await main();

async function serve(mode) {
  let recorder;
  let captureNodeHttp;
  if (mode !== 'bare') {
    const core = await import('@aura/core');
    captureNodeHttp = core.captureNodeHttp;
    recorder = core.createCaptureRecorder({
      url: process.env.BENCH_COLLECTOR,
      key: 'aura_ck_bench',
      bodies: mode === 'bodies',
      logger: { info() {}, warn() {} },
    });
    await recorder.ready();
  }
  let answered = 0;
  const context = {
    route() {
      return '/api/items/:id';
    },
  };
  const server = createServer((req, res) => {
    answered++;
    if (recorder !== undefined) captureNodeHttp(recorder, req, res, req, context);
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.concat(chunks));
    });
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (message) => {
    if (message === 'mark')
      process.send({ cpu: process.cpuUsage(), answered, stats: recorder?.stats() });
    if (message === 'exit') process.exit(0);
  });
}

async function main() {
  const quick = process.env.AURA_BENCH_QUICK === '1';
  const rounds = quick ? 3 : 7;
  const phaseMs = quick ? 1500 : 3000;
  const concurrency = 16;
  const body = JSON.stringify({
    resourceType: 'Observation',
    status: 'final',
    note: 'x'.repeat(940),
  });
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': 'capture-hotpath/1.0',
    authorization: 'Bearer aubt_0123456789abcdefghijklmnopqrstuv',
    'x-request-id': '2b0c5d1e-7f11-4a2b-9d55-1b2c3d4e5f60',
    'accept-language': 'en-GB,en;q=0.9',
  };

  // The collector: answers the start-up check and takes every batch (not decompressed: its
  // work is not the server's).
  const collector = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url.endsWith('/v1/auth') ? '{"project":{"id":"bench","name":"bench"}}' : '{}');
    });
  });
  await new Promise((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const collectorUrl = `http://127.0.0.1:${collector.address().port}/capture`;

  const servers = [];
  for (const mode of VARIANTS) {
    const child = fork(new URL(import.meta.url).pathname, ['serve', mode], {
      env: { ...process.env, BENCH_COLLECTOR: collectorUrl },
    });
    const port = await new Promise((resolve, reject) => {
      child.once('message', (m) => resolve(m.port));
      child.once('exit', (code) => reject(new Error(`${mode} server exited ${code}`)));
    });
    servers.push({ mode, child, port, cpuUs: [], rps: [] });
  }
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const ask = (child) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send('mark');
    });
  const send = (port) =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method: 'POST', path: '/api/items/7?page=2', headers, agent },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(body);
    });
  const load = async (port, ms) => {
    const end = performance.now() + ms;
    let done = 0;
    const worker = async () => {
      while (performance.now() < end) {
        await send(port);
        done++;
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return done / ((performance.now() - start) / 1000);
  };

  for (const server of servers) await load(server.port, 500); // warm-up: JIT, connections
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const server of order) {
      const before = await ask(server.child);
      const rps = await load(server.port, phaseMs);
      const after = await ask(server.child);
      const cpu = after.cpu.user - before.cpu.user + (after.cpu.system - before.cpu.system);
      server.cpuUs.push(cpu / (after.answered - before.answered));
      server.rps.push(rps);
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  };
  const bare = servers[0];
  const results = {};
  for (const server of servers) {
    const stats = (await ask(server.child)).stats;
    results[server.mode] = {
      cpu_us_per_request: Number(median(server.cpuUs).toFixed(1)),
      added_us: Number((median(server.cpuUs) - median(bare.cpuUs)).toFixed(1)),
      cpu_ratio: Number((median(bare.cpuUs) / median(server.cpuUs)).toFixed(3)),
      rps: Math.round(median(server.rps)),
      rps_ratio: Number((median(server.rps) / median(bare.rps)).toFixed(3)),
      ...(stats ? { captured: stats.captured, dropped: stats.dropped } : {}),
    };
    server.child.send('exit');
  }
  agent.destroy();
  collector.close();
  console.log(
    JSON.stringify({ node: process.version, rounds, phaseMs, capture_hotpath: results }, null, 2),
  );
}
