// The README examples of @aura/sandbox and of @aura/core's client, run as written against a
// real sandbox, so the docs cannot drift from the code.
import { randomUUID } from 'node:crypto';
import { AuraClient } from '@aura/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox(); // 127.0.0.1, a free port
});
afterEach(() => sandbox.reset()); // forget tokens, uploads, limits, faults, the log
afterAll(() => sandbox.close());

function client() {
  const { appId, appSecret, apiKey } = sandbox.credentials;
  return new AuraClient({ baseUrl: sandbox.apiUrl, appId, appSecret, apiKey });
}

describe('@aura/sandbox README: in a vitest suite', () => {
  it('exchanges, then reads the uploader config', async () => {
    const config = await client().getUploaderConfig();

    expect(config.lift.endpoint).toBe(sandbox.tusUrl);
    expect(sandbox.requests().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /api/auth/exchange 200',
      'GET /api/uploader/config 200',
    ]);
  });

  it('surfaces an Aura failure', async () => {
    sandbox.fault({ path: '/uploader/config', status: 500 });

    await expect(client().getUploaderConfig()).rejects.toMatchObject({ status: 500 });
  });
});

describe("@aura/core README: the Python client's Quick Start in Node", () => {
  it('exchanges, runs an upload through, submits and withdraws', async () => {
    // As in the README, with the sandbox's own URL in place of http://127.0.0.1:4010/api.
    const aura = new AuraClient({
      baseUrl: sandbox.apiUrl,
      appId: 'aura_pk_sandbox',
      appSecret: 'aura_sk_sandbox',
      apiKey: 'aura_au_sandbox',
    });

    const token = await aura.exchangeToken({ scopes: ['upload:init'], ttl: 900 });
    expect(token.token).toMatch(/^aubt_/);
    expect(token.scopes).toEqual(['upload:init']);
    expect(token.expiresAt.getTime()).toBeGreaterThan(Date.now() + 800_000);

    const uploadId = randomUUID();
    await aura.initUpload({ uploadId, studies: { '1.2.840.1': { patient_name: 'Test^Patient' } } });
    await aura.startUpload({ uploadId, assemblyId: 'assembly-1' });
    await aura.completeUpload({ uploadId, assemblyId: 'assembly-1' });

    const submitted = await aura.submit({
      uploadId,
      metadata: { patient_id: '12345', study_type: 'CT' },
    });
    expect(submitted).toMatchObject({ success: true, uploadId, status: 'submitted' });
    const withdrawn = await aura.withdraw({ uploadId, reason: 'Duplicate upload' });
    expect(withdrawn).toMatchObject({ success: true, uploadId, status: 'withdrawn' });

    // Both vendor-documented flows went through the sandbox's state machine.
    expect(sandbox.upload(uploadId)?.state).toBe('withdrawn');
  });

  it('works from the AURA_* environment the sandbox prints', async () => {
    const { appId, appSecret, apiKey } = sandbox.credentials;
    const aura = AuraClient.fromEnv({
      AURA_BASE_URL: sandbox.url, // without /api: the client adds it
      AURA_APP_ID: appId,
      AURA_APP_SECRET: appSecret,
      AURA_API_KEY: apiKey,
    });
    const config = await aura.getUploaderConfig();
    expect(config.lift.endpoint).toBe(sandbox.tusUrl);
  });
});
