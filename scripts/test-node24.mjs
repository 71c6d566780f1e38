// The whole vitest suite again on Node 24 (the current LTS), through `npx -y node@24`.
//
// Two things keep its log readable. pnpm hands every script its settings as lower-case
// `npm_config_*` variables, and the npm behind `npx` warns once for each one it does not know
// ("Unknown env config"); leaving them out gives npx the environment a shell would (a user's
// own upper-case NPM_CONFIG_* settings stay). And vitest's dot reporter writes one endless line
// of coloured dots: fine on a terminal, a 15 000-character line in a CI log, which gets the
// default reporter instead.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith('npm_config_')),
);
const reporter = process.stdout.isTTY ? 'dot' : 'default';

console.log('Whole suite again on Node 24 (current LTS):');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const child = spawn(
  npx,
  ['-y', 'node@24', 'node_modules/vitest/vitest.mjs', 'run', `--reporter=${reporter}`],
  { cwd: root, env, stdio: 'inherit', shell: process.platform === 'win32' },
);
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal === null ? 1 : 128);
});
