import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { runJsonChild } from '../machine.mjs';
import { barChart } from './charts.mjs';
import { writeReadmeSection } from './readme-section.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.join(here, '..', '..');
const resultsDir = path.join(root, 'results');

export const VERIFY_GOALS = {
  express: 0.9,
  koa: 0.9,
  'nest-express': 0.9,
  fastify: 0.8,
  'nest-fastify': 0.8,
  hono: 0.8,
};
export const CAPTURE_GOAL = 0.9;
/** The bare load each variant is a ratio to (as in frameworks/run.mjs). */
const PAIRS = {
  verify: 'bare',
  capture: 'bare',
  capture_bodies: 'bare_8k',
  token: 'bare_get',
  upload: 'bare_get',
  verify_redis: 'bare',
  upload_redis: 'bare_get',
};
export const TOKEN_GOAL = 0.97;

const timings = {};

/** A part's child process; resolves its last JSON line. Its wall time goes to `timings`. */
async function runPart(command, args, env = {}) {
  const start = performance.now();
  try {
    return await runJsonChild(command, args, { cwd: root, env });
  } finally {
    const name = `${path.basename(path.dirname(args.at(-1)))}/${path.basename(args.at(-1), '.mjs')}`;
    timings[name] = (timings[name] ?? 0) + (performance.now() - start) / 1000;
  }
}

/** Runs every part; `node24` is the path of a Node 24 binary or undefined. */
export async function runParts({ node24, only } = {}) {
  const env = only ? { AURA_BENCH_ONLY: only } : {};
  const src = (p) => path.join(root, 'src', p);
  const parts = { loadBefore: loadavg() };
  parts.adapters20 = await runPart(process.execPath, [src('frameworks/run.mjs')], env);
  if (node24 && !only) parts.adapters24 = await runPart(node24, [src('frameworks/run.mjs')], env);
  if (!only) {
    parts.runtimes = await runPart(process.execPath, [src('runtimes/run.mjs')]);
    parts.herd = await runPart(process.execPath, [src('herd/run.mjs')]);
    parts.outage = await runPart(process.execPath, [src('capture-outage/run.mjs')]);
  }
  parts.loadAfter = loadavg();
  return parts;
}

const readCore = () => JSON.parse(readFileSync(path.join(resultsDir, 'core.json'), 'utf8'));
const r2 = (x) => (x === undefined ? undefined : Math.round(x * 100) / 100);

function adapterSummary(a) {
  const out = {};
  for (const [fw, f] of Object.entries(a.adapters)) {
    out[fw] = {
      bare_rps: Math.round(f.rps.bare),
      verify_rps: Math.round(f.rps.verify),
      capture_rps: Math.round(f.rps.capture),
      capture_bodies_rps: Math.round(f.rps.capture_bodies),
      token_rps: Math.round(f.rps.token),
      upload_rps: Math.round(f.rps.upload),
      bare_8k_rps: Math.round(f.rps.bare_8k),
      bare_get_rps: Math.round(f.rps.bare_get),
      ratios: Object.fromEntries(Object.entries(f.ratio).map(([k, v]) => [k, r2(v.median)])),
      // Server CPU per request (µs, median of rounds), each load's own; and each variant's extra
      // over its bare pair: far steadier than requests/s on a shared machine.
      cpu_us: Object.fromEntries(
        Object.entries(f.cpu_us ?? {}).map(([k, v]) => [k, Math.round(v * 10) / 10]),
      ),
      cpu_us_over_bare: f.cpu_us
        ? Object.fromEntries(
            Object.keys(f.ratio).map((k) => [
              k,
              Math.round((f.cpu_us[k] - f.cpu_us[PAIRS[k]]) * 10) / 10,
            ]),
          )
        : undefined,
      ratio_ranges: Object.fromEntries(
        Object.entries(f.ratio).map(([k, v]) => [k, [r2(v.min), r2(v.max)]]),
      ),
      p50_ms: f.p50_ms,
      p99_ms: f.p99_ms,
      ...(f.rps.verify_redis !== undefined
        ? {
            redis: {
              verify_rps: Math.round(f.rps.verify_redis),
              upload_rps: Math.round(f.rps.upload_redis),
              verify_ratio: r2(f.ratio.verify_redis.median),
              upload_ratio: r2(f.ratio.upload_redis.median),
            },
          }
        : {}),
      ...(Object.keys(f.failures).length ? { failures: f.failures } : {}),
    };
  }
  return out;
}

function goalsFor(adapters) {
  const goals = [];
  for (const [fw, a] of Object.entries(adapters)) {
    goals.push({ what: `${fw} verify/bare`, goal: VERIFY_GOALS[fw], value: a.ratios.verify });
    goals.push({
      what: `${fw} capture (metadata)/bare`,
      goal: CAPTURE_GOAL,
      value: a.ratios.capture,
    });
    goals.push({ what: `${fw} warm token guard/bare`, goal: TOKEN_GOAL, value: a.ratios.token });
  }
  return goals.map((g) => ({ ...g, met: g.value >= g.goal }));
}

/** latest.json from the parts' figures and the core part's (results/core.json unless given). */
export function assemble(parts, core = readCore()) {
  const adapters = adapterSummary(parts.adapters20);
  const latest = {
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      loadBefore: parts.loadBefore?.map(r2),
      loadAfter: parts.loadAfter?.map(r2),
      uptime: parts.uptime,
      pinned: parts.adapters20.pinned,
    },
    node: parts.adapters20.node,
    date: parts.date ?? new Date().toISOString(),
    core_run: core.started,
    sign: { node20: core.node20.sign, node24: core.node24?.sign },
    verify: { node20: core.node20.verify, node24: core.node24?.verify, http: core.http },
    load: {
      connections: parts.adapters20.connections,
      seconds: parts.adapters20.seconds,
      rounds: parts.adapters20.rounds,
    },
    adapters,
    ...(parts.adapters24
      ? { adapters_node24: { node: parts.adapters24.node, ...adapterSummary(parts.adapters24) } }
      : {}),
    runtimes: parts.runtimes
      ? {
          bun: parts.runtimes.bun,
          deno: parts.runtimes.deno,
          workerd: parts.runtimes.workerd,
        }
      : undefined,
    herd: parts.herd
      ? {
          callers: parts.herd.oneProcess.callers,
          exchanges: parts.herd.oneProcess.exchanges,
          oneProcess: parts.herd.oneProcess,
          fourProcessesRedis: parts.herd.fourProcessesRedis,
        }
      : undefined,
    capture_outage: parts.outage,
    goals: goalsFor(adapters),
  };
  return latest;
}

const f2 = (x) => (typeof x === 'number' ? x.toFixed(2) : '–');
const f1 = (x) => (typeof x === 'number' ? String(Math.round(x * 10) / 10) : '–');
const k = (x) => (typeof x === 'number' ? `${(x / 1000).toFixed(1)}k` : '–');

/** A row of the server-CPU table: µs per request, and µs over the bare pair in brackets. */
function cpuRow(fw, a) {
  const c = a.cpu_us;
  if (!c || c.bare === undefined) return undefined;
  const over = (k) => {
    if (c[k] === undefined) return '–';
    const d = Math.round(a.cpu_us_over_bare[k]);
    return `${Math.round(c[k])} (${d < 0 ? '−' : '+'}${Math.abs(d)})`;
  };
  const plain = (k) => (c[k] === undefined ? '–' : String(Math.round(c[k])));
  return `| ${fw} | ${plain('bare')} | ${over('verify')} | ${over('capture')} | ${plain('bare_8k')} | ${over('capture_bodies')} | ${plain('bare_get')} | ${over('token')} | ${over('upload')} |`;
}

export function markdown(latest) {
  const lines = [];
  const table = (adapters, node) => {
    const rowsCpu = [];
    lines.push(
      `**${node}**: requests/s (median of rounds) and ratio to the bare app in the same round (median; range over rounds).`,
      '',
      '| framework | bare 1 KiB POST | verify | capture (metadata) | bare 8 KiB | capture + 8 KiB bodies | bare GET | warm token guard | /upload-token | p99 bare / verify / capture ms |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const [fw, a] of Object.entries(adapters)) {
      if (fw === 'node') continue;
      const cell = (rps, ratio, goal) =>
        `${rps} (**${f2(a.ratios[ratio])}**${goal ? (a.ratios[ratio] >= goal ? ' ✓' : ` ✗ goal ${goal}`) : ''})`;
      rowsCpu.push(cpuRow(fw, a));
      lines.push(
        `| ${fw} | ${a.bare_rps} | ${cell(a.verify_rps, 'verify', VERIFY_GOALS[fw])} | ${cell(a.capture_rps, 'capture', CAPTURE_GOAL)} | ${a.bare_8k_rps} | ${cell(a.capture_bodies_rps, 'capture_bodies')} | ${a.bare_get_rps} | ${cell(a.token_rps, 'token', TOKEN_GOAL)} | ${cell(a.upload_rps, 'upload')} | ${a.p99_ms.bare} / ${a.p99_ms.verify} / ${a.p99_ms.capture} |`,
      );
    }
    lines.push('');
    if (rowsCpu.some(Boolean)) {
      lines.push(
        `Server CPU per request (µs, the server process's own CPU time over each load's requests; median of rounds), and what each piece adds to its bare load: steadier than requests/s on a shared machine.`,
        '',
        '| framework | bare 1 KiB POST | verify | capture (metadata) | bare 8 KiB | capture + 8 KiB bodies | bare GET | warm token guard | /upload-token |',
        '|---|---|---|---|---|---|---|---|---|',
        ...rowsCpu.filter(Boolean),
        '',
      );
    }
  };
  table(latest.adapters, `Node ${latest.node}`);
  if (latest.adapters_node24) table(latest.adapters_node24, `Node ${latest.adapters_node24.node}`);
  const redisRows = [latest.adapters, latest.adapters_node24].filter(Boolean).flatMap((set) =>
    Object.entries(set)
      .filter(([, a]) => a?.redis)
      .map(
        ([fw, a]) =>
          `| ${set.node ?? latest.node} | ${fw} | ${a.verify_rps} (${f2(a.ratios.verify)}) | ${a.redis.verify_rps} (${f2(a.redis.verify_ratio)}) | ${a.upload_rps} (${f2(a.ratios.upload)}) | ${a.redis.upload_rps} (${f2(a.redis.upload_ratio)}) |`,
      ),
  );
  if (redisRows.length) {
    lines.push(
      '**Redis stores beside the in-memory ones** (Express; req/s and ratio to bare): the nonce store behind `verifyAuraSignature`, the rate-limit store behind `/upload-token`.',
      '',
      '| Node | framework | verify, memory | verify, Redis | /upload-token, memory | /upload-token, Redis |',
      '|---|---|---|---|---|---|',
      ...redisRows,
      '',
    );
  }
  if (latest.runtimes) {
    lines.push(
      '**Hono on other runtimes**: operations per second inside the runtime, measured from outside (wall time of N requests doing K operations each, minus N doing none).',
      '',
      '| runtime | crypto backend | signs/s (78 B) | verifies/s (1 KiB) |',
      '|---|---|---|---|',
    );
    for (const name of ['bun', 'deno', 'workerd']) {
      const r = latest.runtimes[name];
      if (r?.skipped) lines.push(`| ${name} | skipped: ${r.skipped} | | |`);
      else if (r)
        lines.push(
          `| ${r.version ? `${name} ${r.version.replace(/^deno /, '').replace(/ \(.*$/, '')}` : name} | ${r.backend} | ${k(r.signsPerSecond)} | ${k(r.verifiesPerSecond)} |`,
        );
    }
    lines.push('');
  }
  if (latest.herd) {
    const h = latest.herd;
    lines.push(
      `**Cold start herd**: ${h.callers} concurrent callers asking a cold client for a token cause **${h.oneProcess.exchanges}** exchange(s) in one process (goal 1)` +
        (h.fourProcessesRedis?.exchanges !== undefined
          ? ` and **${h.fourProcessesRedis.exchanges}** across 4 processes sharing @aura/redis's token store (goal 1)`
          : '') +
        `, counted from the sandbox's request log; ${h.oneProcess.failed + (h.fourProcessesRedis?.failed ?? 0)} callers failed.`,
      '',
    );
  }
  if (latest.capture_outage) {
    const o = latest.capture_outage;
    const up = o.up;
    lines.push(
      `**Capture under outage** (Express, metadata, ${o.requests} requests of 1 KiB to each server, in ${o.chunks ?? 1} interleaved chunks):`,
      '',
      '| collector | req/s | server CPU µs/request | p50 ms | p99 ms | RSS after warm-up MiB | peak RSS MiB | heap at the end MiB | captured | sent | dropped | queued at the end |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...[...up, o.down].map(
        (m) =>
          `| ${m.name} | ${Math.round(m.rps)} | ${m.cpu_us === undefined ? '–' : Math.round(m.cpu_us)} | ${f1(m.p50_ms)} | ${f1(m.p99_ms)} | ${f2(m.rssBeforeMiB)} | ${f2(m.peakRssMiB)} | ${f2(m.heapAfterMiB)} | ${m.stats.captured} | ${m.stats.sent} | ${m.stats.dropped} | ${m.stats.queued} |`,
      ),
      '',
      `p99 down / up: **${f2(o.p99Ratio)}** (goal ≤ 1.10: ${o.goals.p99Within10pct ? 'met' : 'missed'}); memory beyond the up run: peak RSS **${f2(o.extraRssMiB)} MiB**${o.extraHeapMiB === undefined ? '' : `, heap at the end **${f2(o.extraHeapMiB)} MiB**`}, against a queue budget of ${o.queueBudgetMiB} MiB (${o.goals.memoryWithinBudget ? 'met' : 'missed'}).`,
      '',
    );
  }
  return `${lines.join('\n')}`;
}

export function charts(latest) {
  const series = [
    'verify',
    'capture',
    'capture + 8 KiB bodies',
    'warm token guard',
    '/upload-token',
  ];
  const keys = ['verify', 'capture', 'capture_bodies', 'token', 'upload'];
  const groups = Object.entries(latest.adapters).map(([fw, a]) => ({
    label: fw,
    bars: keys.map((key, i) => ({ series: series[i], value: a.ratios[key] ?? 0 })),
  }));
  const ratios = barChart({
    title: 'Throughput with each Aura piece, as a ratio to the bare app (same run)',
    subtitle: `Node ${latest.node}, ${latest.load.connections} connections, median of ${latest.load.rounds} interleaved rounds; dashed: goals`,
    groups,
    series,
    lines: [
      { at: 0.8, label: '0.80', color: '#999' },
      { at: 0.9, label: '0.90', color: '#c00' },
      { at: 0.97, label: '0.97', color: '#a0a' },
      { at: 1, label: '1.0', color: '#333' },
    ],
    max: 1.2,
  });
  const signSeries = ['@aura/core', 'pad floor', 'aws4', '@smithy/signature-v4'];
  const signKeys = ['aura', 'floor', 'aws4', 'smithy'];
  const signGroups = [];
  for (const [node, sign] of Object.entries(latest.sign)) {
    if (!sign) continue;
    for (const [size, s] of Object.entries(sign)) {
      if (size === '64 KiB') continue;
      signGroups.push({
        label: `${node} ${size}`,
        bars: signKeys.map((key, i) => ({
          series: signSeries[i],
          value: s.hz[key] / 1000,
          text: `${(s.hz[key] / 1000).toFixed(0)}k/s`,
        })),
      });
    }
  }
  const maxSign = Math.max(...signGroups.flatMap((g) => g.bars.map((b) => b.value)));
  const signing = barChart({
    title: 'Signing: thousands of signatures per CPU-second',
    subtitle:
      'pad floor = a minimal node:crypto signer of the same protocol; aws4 and smithy sign SigV4',
    groups: signGroups,
    series: signSeries,
    max: Math.ceil(maxSign / 50) * 50 * 1.1,
    format: (v) => `${v.toFixed(0)}k`,
  });
  return { ratios, signing };
}

export function writeAll(latest) {
  writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
  const md = markdown(latest);
  writeFileSync(path.join(root, 'results/latest.md'), `${md}\n`);
  const c = charts(latest);
  writeFileSync(path.join(resultsDir, 'ratios.svg'), c.ratios);
  writeFileSync(path.join(resultsDir, 'signing.svg'), c.signing);
  writeReadmeSection(latest, md);
  return md;
}

/**
 * `pnpm bench`'s per-framework half. With `only` (a smoke of the harness) or `write: false`
 * (`--quick`) nothing is written: the committed files stay those of a whole run. `core` is the
 * core part's figures (results/core.json when not given).
 */
export async function main({ node24, only, core, write = !only } = {}) {
  const parts = await runParts({ node24, only });
  parts.date = new Date().toISOString();
  const latest = assemble(parts, core ?? readCore());
  const md = write ? writeAll(latest) : markdown(latest);
  console.log(`\nPer framework\n\n${md}`);
  return { latest, timings };
}

function arg(name) {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const from = arg('--from');
  let parts;
  if (from) {
    const read = (f) => {
      const file = path.join(from, f);
      const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
      return text ? JSON.parse(text.split('\n').at(-1)) : undefined; // a part not run: left out
    };
    parts = {
      adapters20: read('adapters-node20.json'),
      adapters24: read('adapters-node24.json'),
      runtimes: read('runtimes.json'),
      herd: read('herd.json'),
      outage: read('outage.json'),
      uptime: existsSync(path.join(from, 'uptime.txt'))
        ? readFileSync(path.join(from, 'uptime.txt'), 'utf8').trim().split('\n')
        : undefined,
      date: read('date.json'),
    };
    console.log(writeAll(assemble(parts)));
  } else {
    const quick = process.argv.includes('--quick');
    if (quick) process.env.AURA_BENCH_QUICK = '1';
    await main({ only: arg('--only'), write: !quick && !arg('--only') });
  }
}
