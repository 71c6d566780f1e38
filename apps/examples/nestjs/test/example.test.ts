// Boots the example with its one command (`pnpm start`: tsc, then `node dist/start.js`, which
// runs a sandbox on a free port, then the app) and drives it as a browser and a partner service
// would; then stops it with SIGTERM.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
const START = 'tsc -p tsconfig.json && node dist/start.js';

let child: ChildProcess;
let url: string;
let output = '';
let exited: Promise<number | null>;

beforeAll(async () => {
  // The start script's two steps, run as it runs them.
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  expect(manifest.scripts.start).toBe(START);
  const tsc = createRequire(path.join(dir, 'package.json')).resolve('typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, timeout: 60_000 });
  // No AURA_* from the outside: the example must start its own sandbox.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AURA_')),
  );
  child = spawn(process.execPath, ['dist/start.js'], {
    cwd: dir,
    env: { ...env, PORT: '0', SANDBOX_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = new Promise((resolve) => child.once('exit', resolve));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not listening within 15 s:\n${output}`)),
      15_000,
    );
    const read = (chunk: Buffer) => {
      output += chunk;
      // The banner's last line: everything before it has been printed too.
      const match = /node call-hook\.js (http:\/\/127\.0\.0\.1:\d+)\/hooks\/aura\n/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}, 80_000);

afterAll(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
});

function request(pathname: string, init: RequestInit = {}) {
  return fetch(`${url}${pathname}`, { ...init, signal: AbortSignal.timeout(5000) });
}

describe('apps/examples/nestjs', () => {
  it('started a sandbox and printed how to call it', () => {
    expect(output).toMatch(/Aura sandbox on http:\/\/127\.0\.0\.1:\d+\/api/);
    expect(output).toContain(`NestJS example listening on ${url}`);
    expect(output).toContain(`${url}/api/aura/upload-token`);
  });

  it('hands a signed-in user an upload token (200, not 201), and no one else', async () => {
    const alice = await request('/api/aura/upload-token', {
      method: 'POST',
      headers: { 'x-demo-user': 'alice' },
    });
    expect(alice.status).toBe(200);
    const answer = (await alice.json()) as { token: string; expires_at: string; scopes: string[] };
    expect(Object.keys(answer).sort()).toEqual(['expires_at', 'scopes', 'token']);
    expect(answer.token).toMatch(/^aubt_/);
    expect(answer.scopes.sort()).toEqual(['integration:read', 'upload:init', 'upload:manage']);

    const nobody = await request('/api/aura/upload-token', { method: 'POST' });
    expect(nobody.status).toBe(401);
    expect(await nobody.json()).toEqual({
      error: { code: 'unauthorized', message: expect.any(String) },
    });
  });

  it('serves the uploader config behind @RequireAuraToken(), with one injected client', async () => {
    const response = await request('/uploads/config');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ lift: { endpoint: expect.any(String) } });
    expect(await (await request('/uploads/same-client')).json()).toEqual({ same: true });
  });

  it('takes a signed call from billing-worker (call-hook.js), and refuses an unsigned one', async () => {
    const { stdout } = await run(process.execPath, ['call-hook.js', `${url}/hooks/aura`], {
      cwd: dir,
      timeout: 15_000,
    });
    expect(stdout.trim()).toBe(
      '201 {"from":"billing-worker","got":{"event":"invoice.paid","invoice":"inv_123"}}',
    );

    const unsigned = await request('/hooks/aura', {
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
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
