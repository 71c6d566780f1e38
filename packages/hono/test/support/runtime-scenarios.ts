/**
 * What each runtime must do with the same Hono app, driven from the outside over HTTP:
 * upload-token against a real sandbox, and inbound verification (valid, and one byte changed).
 */
import { signRequest } from '@aura/core';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARTNER, USER_HEADER } from './app';
import { type RunningApp, type RuntimeName, runtimeBinary } from './runtimes';

const REQUEST_DEADLINE_MS = 10_000;

export function auraVariables(sandbox: Sandbox): Record<string, string> {
  const { appId, appSecret, apiKey } = sandbox.credentials;
  return {
    AURA_BASE_URL: sandbox.apiUrl,
    AURA_APP_ID: appId,
    AURA_APP_SECRET: appSecret,
    AURA_API_KEY: apiKey,
  };
}

function call(url: string, init: RequestInit = {}) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) });
}

export function runtimeScenarios(
  runtime: RuntimeName,
  start: (env: Record<string, string>) => Promise<RunningApp>,
  expected: { nodeImports?: string[]; hono?: string },
): void {
  const binary = runtimeBinary(runtime);
  if ('missing' in binary) {
    // Skipped only when the binary is truly absent, and saying why.
    console.warn(`Skipping the ${runtime} runtime tests: ${binary.missing}`);
    it.skip(`the Hono app inside ${runtime}: ${binary.missing}`);
    return;
  }
  describe(`the Hono app inside ${runtime}`, () => {
    let sandbox: Sandbox;
    let app: RunningApp;
    beforeAll(async () => {
      sandbox = await startSandbox();
      app = await start(auraVariables(sandbox));
    });
    afterAll(async () => {
      await app?.stop();
      await sandbox?.close();
    });

    it('hands the signed-in user an upload token that the sandbox honours', async () => {
      const anonymous = await call(`${app.url}/api/aura/upload-token`, { method: 'POST' });
      expect(anonymous.status).toBe(401);

      const answer = await call(`${app.url}/api/aura/upload-token`, {
        method: 'POST',
        headers: { [USER_HEADER]: 'user-1' },
      });
      expect(answer.status).toBe(200);
      const body = (await answer.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['expires_at', 'scopes', 'token']);
      expect(body.token).toMatch(/^aubt_/);
      expect(new Date(body.expires_at as string).getTime()).toBeGreaterThan(Date.now());

      const config = await call(`${sandbox.apiUrl}/uploader/config`, {
        headers: { authorization: `Bearer ${body.token}`, 'x-api-key': sandbox.credentials.apiKey },
      });
      expect(config.status).toBe(200);
    });

    it('uses c.var.aura behind requireAuraToken(), one client (one token) across requests', async () => {
      const before = sandbox.requests().length;
      for (let i = 0; i < 2; i++) {
        const answer = await call(`${app.url}/uploads/config`);
        expect(answer.status).toBe(200);
        expect(await answer.json()).toMatchObject({ lift: { endpoint: sandbox.tusUrl } });
      }
      const calls = sandbox
        .requests()
        .slice(before)
        .map((r) => `${r.method} ${r.path} ${r.status}`);
      expect(calls).toEqual([
        'POST /api/auth/exchange 200',
        'GET /api/uploader/config 200',
        'GET /api/uploader/config 200',
      ]);
    });

    it('verifies a signed inbound call on its raw bytes; one changed byte is refused', async () => {
      const payload = '{"event":"upload.completed",  "id":42}';
      const signed = await signRequest(PARTNER, {
        method: 'POST',
        url: `${app.url}/hooks/aura`,
        headers: { 'Content-Type': 'application/json' },
        body: payload,
      });
      const tampered = await signRequest(PARTNER, {
        method: 'POST',
        url: `${app.url}/hooks/aura`,
        headers: { 'Content-Type': 'application/json' },
        body: payload,
      });

      const valid = await call(signed.url, {
        method: signed.method,
        headers: signed.headers,
        body: payload,
      });
      expect(valid.status).toBe(200);
      expect(await valid.json()).toEqual({
        from: PARTNER.appId,
        got: { event: 'upload.completed', id: 42 },
      });

      const changed = await call(tampered.url, {
        method: tampered.method,
        headers: tampered.headers,
        body: payload.replace('42', '43'),
      });
      expect(changed.status).toBe(401);
      expect(await changed.json()).toMatchObject({ error: { code: 'invalid_signature' } });
    });

    if (expected.nodeImports !== undefined) {
      const nodeImports = expected.nodeImports;
      it('runs the core build the runtime selects (no node: import reaches a Worker)', () => {
        expect(app.nodeImports.sort()).toEqual(nodeImports);
      });
    }
    if (expected.hono !== undefined) {
      const hono = expected.hono;
      it(`runs on Hono ${hono}`, () => {
        expect(app.honoVersions).toEqual([hono]);
      });
    }
  });
}
