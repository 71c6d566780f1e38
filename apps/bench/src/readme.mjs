// Writes the figures of results/core.json into README.md, between its "figures" markers, so
// that the committed README always shows the committed run. `node src/readme.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const r = JSON.parse(readFileSync(path.join(root, 'results/core.json'), 'utf8'));
const f2 = (x) => x.toFixed(2);
const k = (x) => `${(x / 1000).toFixed(1)}k`;
const range = (x) => `${f2(x.median)} (${f2(x.min)}–${f2(x.max)})`;

const lines = [];
lines.push(
  `Run of ${r.started.slice(0, 16).replace('T', ' ')} UTC on ${r.cpus} shared CPUs, load average ${r.loadBefore[0]} at the start and ${r.loadAfter[0]} at the end (1-minute).`,
  '',
  '**Signing** (ops per CPU-second; ratios are medians of the per-round ratios, range in brackets):',
  '',
  '| Node | body | @aura/core | vs pad floor | vs aws4 | vs @smithy/signature-v4 |',
  '|---|---|---|---|---|---|',
);
for (const w of ['node20', 'node24']) {
  if (r[w].skipped) continue;
  for (const [size, s] of Object.entries(r[w].sign)) {
    lines.push(
      `| ${r[w].node} | ${size} | ${k(s.hz.aura)} | ${range(s.vsFloor)} | ${f2(s.vsAws4.median)} | ${f2(s.vsSmithy.median)} |`,
    );
  }
}
lines.push(
  '',
  '**Verifying** a genuine 1 KiB request (distinct nonces, default nonce store), and the **web build**',
  '(`dist/web`, what the `worker` condition loads) signing in the same process as the node build:',
  '',
  '| Node | verify ops/s | vs verify floor | web 78 B signs/s | web vs node, 78 B | web 1 KiB | web 64 KiB |',
  '|---|---|---|---|---|---|---|',
);
for (const w of ['node20', 'node24']) {
  if (r[w].skipped) continue;
  const v = r[w].verify;
  const web = r[w].web;
  lines.push(
    `| ${r[w].node} | ${k(v.hz.aura)} | ${range(v.vsFloor)} | ${k(web['78 B'].hz.web)} | ${range(web['78 B'].vsNode)} | ${k(web['1 KiB'].hz.web)} | ${k(web['64 KiB'].hz.web)} |`,
  );
}
const h = r.http;
const wd = r.workerd;
const s = r.soak;
lines.push(
  '',
  `**node:http**, 1 KiB POST, ${h.concurrency} in flight, ${h.rounds} rounds of ${h.phaseMs / 1000} s each way: bare ${Math.round(h.bare)} req/s, verified ${Math.round(h.verified)} req/s, verify/bare ${range(h.ratio)}, ${h.verifiedFailures} failed verifications.`,
  '',
  `**workerd** (Miniflare, timed from outside): ${k(wd.signsPerSecond)} signs/s (rounds ${k(wd.range[0])}–${k(wd.range[1])}) from ${wd.requests} requests of ${wd.signsPerRequest} signatures against ${wd.requests} empty ones; ${Math.round(wd.emptyRequestsPerSecond)} empty and ${Math.round(wd.oneSignRequestsPerSecond)} one-signature requests/s through \`dispatchFetch\`.`,
  '',
  `**Nonce-store soak**: ${s.claims.toLocaleString('en')} claims for one app id, 5 000 per second over ${Math.round(s.simulatedSeconds)} s of fake time (two windows of 601 s): ${s.refused} refused, ${s.replays} taken for replays, ${s.heldAtEnd.toLocaleString('en')} held at the end; the window's oldest nonce refused as a replay: ${s.firstOfWindowRefusedAsReplay}, a fresh one accepted: ${s.freshAccepted}. Peak resident memory growth ${f2(s.peakRssGrowthMiB)} MiB (the store reserves its ${f2(s.storeBytesMiB)} MiB budget; the system backs what is written); ${k(s.claimsPerSecondOfCpu)} claims per CPU-second.`,
  '',
  '| goal | value | |',
  '|---|---|---|',
);
const names = {
  signVsFloor78: 'sign ≥ 0.77 of the pad floor, 78 B, Node 20',
  verifyVsFloor: 'verify ≥ 0.67 of its floor, Node 20',
  webSignsPerSecond: 'web build ≥ 50 000 signs/s, Node 20',
  httpVerifyVsBare: 'node:http verify/bare ≥ 0.75',
  soakMiB: 'soak within 64 MiB',
};
for (const [key, g] of Object.entries(r.goals)) {
  const value =
    key === 'webSignsPerSecond'
      ? Math.round(g.value)
      : key === 'soakMiB'
        ? `${f2(g.value)} MiB`
        : f2(g.value);
  const short = key === 'soakMiB' ? g.value / g.goal - 1 : 1 - g.value / g.goal;
  const verdict = g.met ? 'met' : `**missed** by ${(short * 100).toFixed(0)} %`;
  lines.push(`| ${names[key]} | ${value} | ${verdict} |`);
}

const readmePath = path.join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const start = '<!-- figures:start -->';
const end = '<!-- figures:end -->';
const before = readme.slice(0, readme.indexOf(start) + start.length);
const after = readme.slice(readme.indexOf(end));
writeFileSync(readmePath, `${before}\n${lines.join('\n')}\n${after}`);
