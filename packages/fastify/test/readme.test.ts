// The README's opening block, run as written: the lines of issue 11 a user copies, with only the
// `listen` on port 3000 swapped for a free port on 127.0.0.1, against a real sandbox.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { signRequest } from '@aura/core';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import { readmeBlocks, squashCode, stubAuraEnv, typeProblems } from '@aura/test-kit';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const blocks = readmeBlocks(path.join(here, '../README.md'));
const LISTEN = 'await app.listen({ port: 3000 });';
const WORKER = { appId: 'billing-worker', appSecret: 'billing-worker-secret-0123456789' };

// Written inside the package so that `fastify` resolves as it does for a user.
const blockFile = path.join(here, '../.vitest/readme-block.ts');

let sandbox: Sandbox;
let app: FastifyInstance;
let url: string;
beforeAll(async () => {
  sandbox = await startSandbox();
  stubAuraEnv(sandbox, { BILLING_WORKER_SECRET: WORKER.appSecret });

  mkdirSync(path.dirname(blockFile), { recursive: true });
  const listen =
    "export const url = await app.listen({ host: '127.0.0.1', port: 0 });\nexport { app };";
  writeFileSync(blockFile, blocks[1]!.code.replace(LISTEN, listen));
  ({ app, url } = (await import(/* @vite-ignore */ blockFile)) as {
    app: FastifyInstance;
    url: string;
  });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await app?.close();
  await sandbox.close();
});

describe('README', () => {
  it('opens with the install, then the lines of issue 11 (as the formatter lays them out)', () => {
    expect(blocks[0]?.lang).toBe('sh');
    expect(blocks[0]?.code).toBe('npm i @aura/fastify fastify\n');
    expect(blocks[1]?.lang).toBe('ts');
    const issue = `
await app.register(auraPlugin);                                  // request.aura
await app.register(auraRoutes, { prefix: '/api/aura', authorize: (request) => request.user ?? null });
app.post('/hooks/aura', { preHandler: verifyAuraSignature({ secrets }) }, async (request) =>
  ({ from: request.auraCaller.appId, got: request.body }));      // default JSON parser left in place
app.get('/uploads/config', { preHandler: requireAuraToken() }, (request) => request.aura.getUploaderConfig());
app.setErrorHandler(auraErrorHandler);                           // opt-in, never set implicitly
`;
    expect(squashCode(blocks[1]!.code)).toContain(squashCode(issue));
    expect(blocks[1]!.code).toContain(LISTEN);
  });

  it('compiles under the strict tsconfig, with the types the package declares', {
    timeout: 60_000,
  }, () => {
    // The packages as sources, the way the tests run them, rather than stale builds.
    expect(typeProblems([blockFile], path.join(here, '..'), ['fastify', 'core'])).toEqual([]);
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
    const response = await fetch(`${url}/hooks/aura`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: expect.any(String) } });
  });

  it('/uploads/config: the uploader config, with a token obtained first', async () => {
    const response = await fetch(`${url}/uploads/config`);

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ lift: { endpoint: sandbox.tusUrl } });
  });
});
