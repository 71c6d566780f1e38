// Boots the example with its one command (`pnpm start`: tsc, then `node dist/start.js`, which
// runs a sandbox on a free port, then the app) and drives it as a browser and a partner service
// would; then stops it with SIGTERM.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callHook,
  expectTokenOnlyForSignedIn,
  type RunningExample,
  requestTo,
  startExample,
} from '../../test-support/example-suite';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
const START = 'tsc -p tsconfig.json && node dist/start.js';

let example: RunningExample;

beforeAll(async () => {
  // The start script's two steps, run as it runs them.
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  expect(manifest.scripts.start).toBe(START);
  const tsc = createRequire(path.join(dir, 'package.json')).resolve('typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, timeout: 60_000 });
  example = await startExample(dir, 'dist/start.js');
}, 80_000);

afterAll(() => {
  example?.stop('SIGKILL');
});

describe('apps/examples/nestjs', () => {
  it('started a sandbox and printed how to call it', () => {
    expect(example.output).toMatch(/Aura sandbox on http:\/\/127\.0\.0\.1:\d+\/api/);
    expect(example.output).toContain(`NestJS example listening on ${example.url}`);
    expect(example.output).toContain(`${example.url}/api/aura/upload-token`);
  });

  it('hands a signed-in user an upload token (200, not 201), and no one else', async () => {
    const nobody = await expectTokenOnlyForSignedIn(example);
    expect(await nobody.json()).toEqual({
      error: { code: 'unauthorized', message: expect.any(String) },
    });
  });

  it('serves the uploader config behind @RequireAuraToken(), with one injected client', async () => {
    const response = await requestTo(example, '/uploads/config');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ lift: { endpoint: expect.any(String) } });
    const same = await requestTo(example, '/uploads/same-client');
    expect(await same.json()).toEqual({ same: true });
  });

  it('takes a signed call from billing-worker (call-hook.js), and refuses an unsigned one', async () => {
    expect(await callHook(example, dir)).toBe(
      '201 {"from":"billing-worker","got":{"event":"invoice.paid","invoice":"inv_123"}}',
    );

    const unsigned = await requestTo(example, '/hooks/aura', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toEqual({
      error: { code: 'missing_authorization', message: expect.any(String) },
    });
  });

  it('stops cleanly on SIGTERM', async () => {
    example.stop('SIGTERM');
    expect(await example.exited).toBe(0);
  });
});
