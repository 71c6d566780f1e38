// The README's commands, run as written (with `npx aura` as the built bin), against the output
// it shows: the first lines a user copies must work.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { auraBin } from './support';

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

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox?.close());

it('the first block installs the package and runs the doctor against the sandbox', async () => {
  const first = blocks[0]!;
  expect(first.lang).toBe('sh');
  const lines = first.text.trim().split('\n');
  expect(lines[0]).toBe('npm i -D @aura/cli');
  expect(
    lines.map((l) => shellWords(l.replace(/^npm i -D @aura\/cli$/, 'npx aura --help')).argv[0]),
  ).toEqual(['--help', 'sandbox', 'doctor']);
  // The doctor line, with the variables the sandbox prints.
  const { appId, appSecret, apiKey } = sandbox.credentials;
  const run = await auraBin(shellWords(lines[2]!).argv, {
    AURA_BASE_URL: sandbox.apiUrl,
    AURA_APP_ID: appId,
    AURA_APP_SECRET: appSecret,
    AURA_API_KEY: apiKey,
  });
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
