// `pnpm bench`: every figure of the core's speed and capacity goals from one run, written to
// results/core.json and printed, then the per-framework half (report/suite.mjs). Each part runs in its own process (Node 20 and Node 24 for
// signing), so that one part's heap and JIT state never colour another's. The machine may be
// shared: figures are ratios taken within interleaved rounds, and the load average is recorded.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { runJsonChild } from './machine.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);

// `pnpm bench --quick`: a smoke test of every part in under two minutes, not figures: fewer,
// shorter rounds in every part (the children read the variable), no Node 24 pass, and nothing
// written (the committed results stay those of a whole run); it prints the tables only.
// `--only express,koa`: only those frameworks' loads (a smoke of the per-framework harness).
const quick = process.argv.includes('--quick') || process.env.AURA_BENCH_QUICK === '1';
if (quick) process.env.AURA_BENCH_QUICK = '1';
const onlyAt = process.argv.indexOf('--only');
if (onlyAt !== -1) {
  await (await import('./report/suite.mjs')).main({ only: process.argv[onlyAt + 1] });
  process.exit(0);
}
const resultsDir = path.join(here, '..', 'results');

const GOALS = {
  signVsFloor78: 0.77,
  verifyVsFloor: 0.67,
  webSignsPerSecond: 50_000,
  httpVerifyVsBare: 0.75,
  soakMiB: 64,
};

const timings = {};

/** A part's child process; resolves the JSON line it prints last. Its wall time goes to timings. */
async function run(command, args, extraEnv = {}) {
  const start = performance.now();
  try {
    return await runJsonChild(command, args, { cwd: path.join(here, '..'), env: extraEnv });
  } finally {
    const name = path.basename(args.at(-1), '.mjs');
    timings[name] = (timings[name] ?? 0) + (performance.now() - start) / 1000;
  }
}

/** Node 24's binary, from npm's `node` package, or undefined if it cannot be had. */
function node24() {
  try {
    return execFileSync('npx', ['-y', 'node@24', '-p', 'process.execPath'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 120_000,
    }).trim();
  } catch {
    return undefined;
  }
}

const load = () => loadavg().map((l) => Number(l.toFixed(2)));
const started = new Date().toISOString();
const loadBefore = load();
const results = { started, cpus: (await import('node:os')).cpus().length, loadBefore };

const child = (name) => path.join(here, name);
results.node20 = await run(process.execPath, [child('sign-child.mjs')]);
const node24Path = quick ? undefined : node24();
results.node24 = node24Path
  ? await run(node24Path, [child('sign-child.mjs')])
  : { skipped: quick ? 'not in --quick' : 'node@24 could not be installed through npx' };
results.http = await run(process.execPath, [child('http-load.mjs')]);
results.soak = await run(process.execPath, ['--expose-gc', child('soak-child.mjs')]);
results.workerd = await run(process.execPath, [child('workerd.mjs')]);
results.loadAfter = load();
results.finished = new Date().toISOString();

const n20 = results.node20;
const verdicts = {
  signVsFloor78: n20.sign['78 B'].vsFloor.median,
  verifyVsFloor: n20.verify.vsFloor.median,
  webSignsPerSecond: n20.web['78 B'].hz.web,
  httpVerifyVsBare: results.http.ratio.median,
  // Resident memory: the store reserves its whole budget (array buffers) up front, and the
  // system backs only the pages written to.
  soakMiB: results.soak.peakRssGrowthMiB,
};
results.goals = Object.fromEntries(
  Object.entries(GOALS).map(([key, goal]) => {
    const value = verdicts[key];
    const met = key === 'soakMiB' ? value <= goal : value >= goal;
    return [key, { goal, value, met }];
  }),
);

if (!quick) {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'core.json'), `${JSON.stringify(results, null, 2)}\n`);
}

// --- Printed summary. ---
const f2 = (x) => x.toFixed(2);
const k = (x) => `${(x / 1000).toFixed(1)}k`;
console.log(
  `\n@aura/core speed and capacity (load ${loadBefore.join(' ')} → ${results.loadAfter.join(' ')}, ${results.cpus} CPUs)\n`,
);
const signRows = [];
for (const which of ['node20', 'node24']) {
  const r = results[which];
  if (r.skipped) continue;
  for (const [size, s] of Object.entries(r.sign)) {
    signRows.push({
      node: r.node,
      body: size,
      'aura ops/s': k(s.hz.aura),
      'vs pad floor': f2(s.vsFloor.median),
      'vs aws4': f2(s.vsAws4.median),
      'vs smithy': f2(s.vsSmithy.median),
    });
  }
}
console.table(signRows);
console.table(
  ['node20', 'node24']
    .filter((w) => !results[w].skipped)
    .map((w) => ({
      node: results[w].node,
      'verify 1 KiB ops/s': k(results[w].verify.hz.aura),
      'vs verify floor': f2(results[w].verify.vsFloor.median),
      'web 78 B signs/s': k(results[w].web['78 B'].hz.web),
      'web vs node 78 B': f2(results[w].web['78 B'].vsNode.median),
      'web 1 KiB signs/s': k(results[w].web['1 KiB'].hz.web),
      'web 64 KiB signs/s': k(results[w].web['64 KiB'].hz.web),
    })),
);
console.log(
  `node:http 1 KiB POST: bare ${Math.round(results.http.bare)} req/s, verified ${Math.round(results.http.verified)} req/s, verify/bare ${f2(results.http.ratio.median)} (${results.http.verifiedFailures} failures)`,
);
console.log(
  `workerd (Miniflare, from outside): ${k(results.workerd.signsPerSecond)} signs/s; ${Math.round(results.workerd.emptyRequestsPerSecond)} empty requests/s`,
);
const s = results.soak;
console.log(
  `nonce-store soak: ${s.claims} claims over ${s.simulatedSeconds} s of fake time, ${s.refused} refused, ${s.replays} false replays; peak RSS growth ${f2(s.peakRssGrowthMiB)} MiB (array buffers reserved: ${f2(s.peakArrayBuffersMiB)} MiB); ${k(s.claimsPerSecondOfCpu)} claims/s of CPU`,
);
console.log(quick ? '\nGoals (--quick: a smoke test; these are not figures):' : '\nGoals:');
for (const [key, g] of Object.entries(results.goals)) {
  console.log(
    `  ${g.met ? 'met   ' : 'MISSED'} ${key}: ${typeof g.value === 'number' ? f2(g.value) : g.value} (goal ${key === 'soakMiB' ? '≤' : '≥'} ${g.goal})`,
  );
}

// --- Per framework, other runtimes, the cold-start herd, capture under outage (src/report). ---
const suite = await (await import('./report/suite.mjs')).main({
  node24: node24Path,
  core: results,
  write: !quick,
});
Object.assign(timings, suite.timings);
console.log(
  `\nWall time per part (s): ${Object.entries(timings)
    .map(([name, s]) => `${name} ${s.toFixed(1)}`)
    .join(', ')}`,
);
if (quick) {
  console.log(
    '\n--quick: a smoke test of every part (short rounds, no Node 24 pass, no Redis loads), not figures; nothing was written to results/.',
  );
}
