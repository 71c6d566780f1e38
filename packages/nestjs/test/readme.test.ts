// The README's first lines, run as written: the block in README.md is test/readme.example.ts
// (typechecked with the package, experimentalDecorators and emitDecoratorMetadata on), served
// against a real sandbox.
import { readFileSync } from 'node:fs';
import { signRequest } from '@aura/core';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import { call, stubAuraEnv } from '@aura/test-kit';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listen } from './support/app';

const BILLING_SECRET = 'billing-service-secret-0123456789';
let sandbox: Sandbox;
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  sandbox = await startSandbox();
  stubAuraEnv(sandbox, { BILLING_SECRET: BILLING_SECRET });
  const { app } = (await import('./readme.example')) as unknown as { app: INestApplication };
  app.useLogger(false);
  // What the app's own authentication would do: a user from the session (here, a header).
  app.use(
    (
      req: { headers: Record<string, unknown>; user?: unknown },
      _res: unknown,
      next: () => void,
    ) => {
      const id = req.headers['x-user'];
      if (typeof id === 'string') req.user = { id };
      next();
    },
  );
  ({ url, close } = await listen(app));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await close?.();
  await sandbox?.close();
});

describe('README', () => {
  it('opens with the install and the example, verbatim', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    // The file adds one line for this test: the export of `app`.
    const example = readFileSync(new URL('./readme.example.ts', import.meta.url), 'utf8').replace(
      '\nexport { app };\n',
      '',
    );
    expect(readme.startsWith('# @aura/nestjs\n\n```sh\nnpm i @aura/nestjs\n```\n\n```ts\n')).toBe(
      true,
    );
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
    for (const line of [
      'AuraModule.forRoot(',
      '@AuraSigned(',
      '@RequireAuraToken()',
      'rawBody: true',
    ]) {
      expect(example).toContain(line);
    }
  });

  it('hands a signed-in user an upload token with 200, and no one else', async () => {
    const token = await call(`${url}/api/aura/upload-token`, {
      method: 'POST',
      headers: { 'x-user': 'u1' },
    });
    expect(token.status, token.text).toBe(200);
    expect(Object.keys(token.body as object).sort()).toEqual(['expires_at', 'scopes', 'token']);
    const nobody = await call(`${url}/api/aura/upload-token`, { method: 'POST' });
    expect(nobody.status).toBe(401);
    expect(nobody.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });

  it("verifies a call from the billing service and serves the uploader's config", async () => {
    const signed = await signRequest(
      { appId: 'billing', appSecret: BILLING_SECRET },
      {
        method: 'POST',
        baseUrl: url,
        url: '/hooks/aura',
        headers: { 'Content-Type': 'application/json' },
        body: '{ "invoice": 7 }',
      },
    );
    const { Host: _host, ...headers } = signed.headers;
    const hook = await call(`${url}/hooks/aura`, {
      method: 'POST',
      headers,
      body: signed.body as string,
    });
    expect(hook.status, hook.text).toBe(201);
    expect(hook.body).toEqual({ from: 'billing', got: { invoice: 7 } });
    const forged = await call(`${url}/hooks/aura`, {
      method: 'POST',
      headers,
      body: '{ "invoice": 8 }',
    });
    expect(forged.status).toBe(401);
    const config = await call(`${url}/uploads/config`);
    expect(config.status).toBe(200);
    expect(config.body).toMatchObject({ lift: { endpoint: sandbox.tusUrl } });
  });
});
