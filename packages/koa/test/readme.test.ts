// The README's opening block, run as written: the lines of issue 11 a user copies, with only
// `app.listen(3000)` swapped for a free port on 127.0.0.1, against a real sandbox.
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
const LISTEN = 'app.listen(3000);';
const WORKER = { appId: 'billing-worker', appSecret: 'billing-worker-secret-0123456789' };

const blockFile = path.join(here, '../.vitest/readme-block.ts');

let sandbox: Sandbox;
let server: Server;
let url: string;
beforeAll(async () => {
  sandbox = await startSandbox();
  stubAuraEnv(sandbox, { BILLING_WORKER_SECRET: WORKER.appSecret });

  // Written inside the package so that `koa` and `@koa/router` resolve as they do for a user.
  mkdirSync(path.dirname(blockFile), { recursive: true });
  const code = blocks[1]!.code.replace(LISTEN, "export const server = app.listen(0, '127.0.0.1');");
  writeFileSync(blockFile, code);
  ({ server } = (await import(/* @vite-ignore */ blockFile)) as { server: Server });
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise((resolve) => server?.close(resolve));
  await sandbox.close();
});

describe('README', () => {
  it('opens with the install, then the lines of issue 11 (as the formatter lays them out)', () => {
    expect(blocks[0]?.lang).toBe('sh');
    expect(blocks[0]?.code).toMatch(/^npm i @aura\/koa koa @koa\/router\n/);
    expect(blocks[1]?.lang).toBe('ts');
    // Issue 11's Koa lines, as written there; compared without spacing and comments, since the
    // README's blocks are formatted by Biome like every other file.
    const issue = `
      app.use(auraErrors());
      app.use(auraMiddleware());                                       // ctx.state.aura
      app.use(auraRouter({ prefix: '/api/aura', authorize: (ctx) => ctx.state.user ?? null }));
      router.post('/hooks/aura', verifyAuraSignature({ secrets }), (ctx) => {
        ctx.body = { from: ctx.state.auraCaller.appId, got: ctx.request.body }; });
      router.get('/uploads/config', requireAuraToken(), async (ctx) => { ctx.body = await ctx.state.aura.getUploaderConfig(); });`;
    expect(squashCode(blocks[1]!.code)).toContain(squashCode(issue));
    expect(blocks[1]!.code).toContain(LISTEN);
  });

  it('compiles under the strict tsconfig, with the types the package declares', {
    timeout: 60_000,
  }, () => {
    // The packages as sources, the way the tests run them, rather than stale builds.
    expect(typeProblems([blockFile], path.join(here, '..'), ['koa', 'core'])).toEqual([]);
  });

  it('upload-token: 401 without a signed-in user', async () => {
    const response = await fetch(`${url}/api/aura/upload-token`, { method: 'POST' });

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

    const response = await fetch(signed.url, { method: 'POST', headers: signed.headers, body });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      from: 'billing-worker',
      got: { event: 'upload.submitted' },
    });
  });

  it('/hooks/aura: an unsigned call never reaches the handler', async () => {
    const response = await fetch(`${url}/hooks/aura`, { method: 'POST', body: '{}' });

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: expect.any(String) } });
  });

  it('/uploads/config: the uploader config, with a token obtained first', async () => {
    const response = await fetch(`${url}/uploads/config`);

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ lift: { endpoint: sandbox.tusUrl } });
  });
});
