// `handleSignals: true` in a real process: on SIGTERM what is queued is delivered, then the
// signal takes its course (the process ends by SIGTERM, as it would without capture).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'aura-capture-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('on SIGTERM, delivers what is queued, then ends by the signal', async () => {
  const entry = path.join(dir, 'child.ts');
  writeFileSync(
    entry,
    `import { createCaptureRecorder } from ${JSON.stringify(path.join(root, 'packages/core/src/index.ts'))};
const capture = createCaptureRecorder({
  sink: async (events) => { process.stdout.write(events.map((e) => e.path).join('\\n') + '\\n'); },
  flushIntervalMs: 60_000,
  handleSignals: true,
  logger: { info() {}, warn() {} },
});
for (const path of ['/a', '/b', '/c']) capture.begin({ method: 'GET', url: path, headers: {} })?.end({ status: 200, headers: {} });
process.stdout.write('queued ' + capture.stats().queued + '\\n');
// Something keeps the process alive, as a server would.
setInterval(() => {}, 1000);
process.kill(process.pid, 'SIGTERM');
`,
  );
  const bundle = path.join(dir, 'child.mjs');
  // esbuild through tsup (a root dev dependency), as pnpm links no esbuild bin at the root.
  const fromTsup = createRequire(createRequire(path.join(root, 'package.json')).resolve('tsup'));
  const esbuild = fromTsup('esbuild') as { buildSync(options: Record<string, unknown>): unknown };
  esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    logLevel: 'error',
  });
  const child = spawn(process.execPath, [bundle], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  expect(out).toBe('queued 3\n/a\n/b\n/c\n');
  expect(code).toBeNull();
  expect(signal).toBe('SIGTERM');
}, 30_000);
