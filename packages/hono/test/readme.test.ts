// The README's opening block, run as written: the lines of issue 11 a user copies, with only
// `serve(…, port: 3000)` swapped for a free port on 127.0.0.1, against a real sandbox.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { signRequest } from '@aura/core';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import { readmeBlocks, squashCode, stubAuraEnv, typeProblems } from '@aura/test-kit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const blocks = readmeBlocks(path.join(here, '../README.md'));
const SERVE = 'serve({ fetch: app.fetch, port: 3000 });';
const WORKER = { appId: 'billing-worker', appSecret: 'billing-worker-secret-0123456789' };

// Written inside the package so that `hono` and `@hono/node-server` resolve as for a user.
const blockFile = path.join(here, '../.vitest/readme-block.ts');

let sandbox: Sandbox;
let server: Server;
let url: string;
beforeAll(async () => {
  sandbox = await startSandbox();
  stubAuraEnv(sandbox, { BILLING_WORKER_SECRET: WORKER.appSecret });

  mkdirSync(path.dirname(blockFile), { recursive: true });
  const code = blocks[1]!.code.replace(
    SERVE,
    "export const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });",
  );
  writeFileSync(blockFile, code);
  ({ server } = (await import(/* @vite-ignore */ blockFile)) as { server: Server });
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  vi.unstubAllEnvs();
  if (server !== undefined) {
    await new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    });
  }
  await sandbox.close();
});

function call(path: string, init: RequestInit = {}) {
  return fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
}

describe('README', () => {
  it('opens with the install, then the lines of issue 11 (as the formatter lays them out)', () => {
    expect(blocks[0]?.lang).toBe('sh');
    expect(blocks[0]?.code).toMatch(/^npm i @aura\/hono hono @hono\/node-server\n/);
    expect(blocks[1]?.lang).toBe('ts');
    // Issue 11's Hono lines, as written there; compared without spacing and comments, since the
    // README's blocks are formatted like every other file (a trailing comma aside).
    const issue = `
      app.use('*', auraMiddleware());                                  // c.var.aura; config from c.env on Workers
      app.route('/api/aura', auraRoutes({ authorize: (c) => c.get('user') ?? null }));
      app.post('/hooks/aura', verifyAuraSignature({ secrets }), async (c) =>
        c.json({ from: c.var.auraCaller.appId, got: await c.req.json() }));
      app.get('/uploads/config', requireAuraToken(), async (c) => c.json(await c.var.aura.getUploaderConfig()));
      app.onError(auraErrorHandler);`;
    expect(squashCode(blocks[1]!.code)).toContain(squashCode(issue));
    expect(blocks[1]!.code).toContain(SERVE);
  });

  it('compiles, every ts block as written, under the strict tsconfig with the package types', {
    timeout: 60_000,
  }, () => {
    const files = blocks
      .filter((block) => block.lang === 'ts')
      .map((block, i) => {
        const file = path.join(path.dirname(blockFile), `readme-verbatim-${i}.ts`);
        writeFileSync(file, block.code);
        return file;
      });
    expect(files.length).toBeGreaterThanOrEqual(3);
    // The packages as sources, the way the tests run them, rather than stale builds.
    expect(typeProblems(files, path.join(here, '..'), ['hono', 'core'])).toEqual([]);
  });

  it('upload-token: 401 without a signed-in user', async () => {
    const response = await call('/api/aura/upload-token', { method: 'POST' });

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('/hooks/aura: a call signed by billing-worker gets its body back, parsed', async () => {
    const body = '{"event":  "upload.submitted"}';
    const signed = await signRequest(WORKER, {
      method: 'POST',
      url: `${url}/hooks/aura`,
      headers: { 'content-type': 'application/json' },
      body,
    });

    const response = await fetch(signed.url, {
      method: 'POST',
      headers: signed.headers,
      body,
      signal: AbortSignal.timeout(5000),
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      from: 'billing-worker',
      got: { event: 'upload.submitted' },
    });
  });

  it('/hooks/aura: an unsigned call never reaches the handler', async () => {
    const response = await call('/hooks/aura', { method: 'POST', body: '{}' });

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: expect.any(String) } });
  });

  it('/uploads/config: the uploader config, with a token obtained first', async () => {
    const response = await call('/uploads/config');

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ lift: { endpoint: sandbox.tusUrl } });
  });
});
