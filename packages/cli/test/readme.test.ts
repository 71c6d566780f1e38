// The README's commands, run as written (with `npx aura` as the built bin), against the output
// it shows: the first lines a user copies must work.

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { auraBin, BIN } from './support';

const here = path.dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(path.resolve(here, '../README.md'), 'utf8');
const blocks = [...readme.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({
  lang: m[1]!,
  text: m[2]!,
}));

/** A shell command line as argv: `NAME=value` prefixes, '…' quoting, `\` line continuations. */
function shellWords(line: string): { env: Record<string, string>; argv: string[] } {
  const words: string[] = [];
  const text = line.replace(/\\\n/g, ' ').replace(/\s+#.*$/gm, '');
  for (const match of text.matchAll(/'([^']*)'|(\S+)/g)) words.push(match[1] ?? match[2]!);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0] ?? '')) {
    const [name, ...value] = words.shift()!.split('=');
    env[name!] = value.join('=');
  }
  expect(words.slice(0, 2)).toEqual(['npx', 'aura']);
  return { env, argv: words.slice(2) };
}

let running: ChildProcess | undefined;
afterAll(() => {
  if (running?.exitCode === null) running.kill('SIGTERM');
});

it('the first block installs the package and runs the doctor against the sandbox', async () => {
  const first = blocks[0]!;
  expect(first.lang).toBe('sh');
  const lines = first.text.trim().split('\n');
  expect(lines[0]).toBe('npm i -D @aura/cli');
  expect(
    lines.map((l) => shellWords(l.replace(/^npm i -D @aura\/cli$/, 'npx aura --help')).argv[0]),
  ).toEqual(['--help', 'sandbox', 'doctor']);
  // The sandbox line, as a user runs it (PORT=0: 4010 may be taken here), then the doctor line
  // with the AURA_* variables the sandbox printed.
  const sandboxRun = spawn(process.execPath, [BIN, ...shellWords(lines[1]!).argv], {
    env: { PATH: process.env.PATH ?? '', PORT: '0' },
  });
  running = sandboxRun;
  const printed = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`no AURA_* line within 10 s:\n${out}`)),
      10_000,
    );
    sandboxRun.stdout.on('data', (chunk) => {
      out += chunk;
      const line = /^\s*(AURA_BASE_URL=.*)$/m.exec(out);
      if (line) {
        clearTimeout(timer);
        resolve(line[1]!);
      }
    });
  });
  const env = Object.fromEntries(
    printed.split(' ').map((pair) => pair.split('=') as [string, string]),
  );
  expect(Object.keys(env)).toEqual([
    'AURA_BASE_URL',
    'AURA_APP_ID',
    'AURA_APP_SECRET',
    'AURA_API_KEY',
  ]);
  const run = await auraBin(shellWords(lines[2]!).argv, env);
  expect(run.stdout).toMatch(/All 6 checks passed/);
});

it('the sign --explain example prints exactly the output shown under it', async () => {
  const command = blocks[1]!;
  const shown = blocks[2]!;
  expect([command.lang, shown.lang]).toEqual(['sh', 'text']);
  const { env, argv } = shellWords(command.text.trim());

  const run = await auraBin(argv, env);

  expect(run.code).toBe(0);
  expect(run.stdout).toBe(shown.text);
});
