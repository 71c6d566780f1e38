// The web build inside real workerd (Miniflare), measured from outside: the wall time of N
// dispatched requests. A Worker bundled from @aura/core with the workerd conditions signs `n`
// requests per fetch; N fetches with n = 0 give the dispatch cost, N with n = K the signing on
// top, so signs/s = N × K / (wall(K) − wall(0)). Prints one JSON line.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { median } from './harness.mjs';
import { bundleWorker } from './machine.mjs';

const quick = process.env.AURA_BENCH_QUICK === '1';
// --quick: one short round (a smoke, not figures).
const N = quick ? 20 : 200;
const K = 200;
const rounds = quick ? 1 : 5;

const dir = await mkdtemp(path.join(tmpdir(), 'aura-bench-workerd-'));
try {
  const entry = path.join(dir, 'entry.mjs');
  await writeFile(
    entry,
    `import { signRequest, cryptoBackend } from '@aura/core';
const credentials = { appId: 'aura_pk_bench', appSecret: 'aura_sk_bench_secret' };
const body = '{"ttl":3600,"pad":"' + 'x'.repeat(78 - 21) + '"}';
export default {
  async fetch(request) {
    const n = Number(new URL(request.url).searchParams.get('n'));
    let last = '';
    for (let i = 0; i < n; i++) {
      const signed = await signRequest(credentials, {
        method: 'POST', baseUrl: 'https://aura.example.com/api', url: '/auth/exchange', body,
      });
      last = signed.headers.Authorization;
    }
    return new Response(cryptoBackend.name + ' ' + last.length);
  },
};
`,
  );
  const outfile = path.join(dir, 'worker.mjs');
  await bundleWorker(entry, outfile);
  const mf = new Miniflare({
    modules: true,
    scriptPath: outfile,
    modulesRoot: dir,
    compatibilityDate: '2025-09-01',
  });
  try {
    await mf.ready;
    const probe = await (await mf.dispatchFetch('http://bench/?n=1')).text();
    if (!probe.startsWith('webcrypto '))
      throw new Error(`the Worker did not load the web build: ${probe}`);
    async function wall(n) {
      const start = performance.now();
      for (let i = 0; i < N; i++) await (await mf.dispatchFetch(`http://bench/?n=${n}`)).text();
      return performance.now() - start;
    }
    await wall(K); // warm-up
    const rates = [];
    const dispatch = [];
    for (let r = 0; r < rounds; r++) {
      const empty = await wall(0);
      const signing = await wall(K);
      dispatch.push((N * 1000) / empty);
      rates.push((N * K * 1000) / Math.max(1, signing - empty));
    }
    const oneEach = [];
    for (let r = 0; r < rounds; r++) oneEach.push((N * 1000) / (await wall(1)));
    process.stdout.write(
      `${JSON.stringify({
        requests: N,
        signsPerRequest: K,
        rounds,
        signsPerSecond: median(rates),
        range: [Math.min(...rates), Math.max(...rates)],
        emptyRequestsPerSecond: median(dispatch),
        oneSignRequestsPerSecond: median(oneEach),
      })}\n`,
    );
  } finally {
    await mf.dispose();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
