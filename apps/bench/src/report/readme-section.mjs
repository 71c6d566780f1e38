// Writes the per-framework figures (results/latest.md, the charts) into README.md between its
// "per-framework" markers, so the committed README shows the committed run. The prose around
// the markers (method, what a profile showed, why a goal is missed) is written by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const START = '<!-- per-framework:start -->';
const END = '<!-- per-framework:end -->';

export function writeReadmeSection(latest, md) {
  const readmePath = path.join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  if (!readme.includes(START) || !readme.includes(END)) return false;
  const load = latest.machine.uptime
    ? latest.machine.uptime
        .filter((l) => l.includes('load'))
        .map((l) => l.replace(/^.*load average: /, ''))
        .join(' → ')
    : `${latest.machine.loadBefore?.join(' ')} → ${latest.machine.loadAfter?.join(' ')}`;
  const body = [
    `Run of ${latest.date.slice(0, 16).replace('T', ' ')} UTC on ${latest.machine.cpus} shared CPUs (1-, 5- and 15-minute load averages at the start and the end: ${load}; the bench's own server and load generator make about 2), server pinned to CPU 0 and autocannon to CPU 1: ${latest.machine.pinned ? 'yes' : 'no'}.`,
    '',
    '![Throughput ratio to the bare app, per framework](results/ratios.svg)',
    '',
    '![Signing against the peers and the floor](results/signing.svg)',
    '',
    md,
  ].join('\n');
  const before = readme.slice(0, readme.indexOf(START) + START.length);
  const after = readme.slice(readme.indexOf(END));
  writeFileSync(readmePath, `${before}\n${body}\n${after}`);
  return true;
}
