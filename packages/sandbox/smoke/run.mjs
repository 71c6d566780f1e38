// Smoke test of the built package: import it from ESM and CJS, then spawn the bin on a free
// port, ask /_sandbox/health, and stop it with SIGTERM. Loopback only.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const esm = await import('@aura/sandbox');
const cjs = createRequire(import.meta.url)('@aura/sandbox');
for (const [name, mod] of [
  ['esm', esm],
  ['cjs', cjs],
]) {
  if (typeof mod.startSandbox !== 'function') throw new Error(`${name}: startSandbox missing`);
}

const sandbox = await cjs.startSandbox();
const fromCjs = await fetch(`${sandbox.url}/_sandbox/health`);
if (fromCjs.status !== 200) throw new Error(`cjs health answered ${fromCjs.status}`);
await sandbox.close();

const started = Date.now();
const child = spawn(process.execPath, [path.join(here, '../dist/cli.js'), '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
const url = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no URL within 5 s:\n${out}`)), 5000);
  child.stdout.on('data', (chunk) => {
    out += chunk;
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\/api/.exec(out);
    if (match) {
      clearTimeout(timer);
      resolve(match[1]);
    }
  });
  child.once('exit', (code) => reject(new Error(`bin exited with ${code}:\n${out}`)));
});
const ready = Date.now() - started;
const health = await fetch(`${url}/_sandbox/health`).then((r) => r.json());
if (health.ok !== true) throw new Error(`health answered ${JSON.stringify(health)}`);
const exited = new Promise((resolve) => child.once('exit', resolve));
child.kill('SIGTERM');
const code = await exited;
if (code !== 0) throw new Error(`bin exited with ${code} on SIGTERM`);
console.log(
  `@aura/sandbox smoke: esm + cjs imports ok; bin ready in ${ready} ms at ${url}; clean exit`,
);
