import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index';
import {
  api,
  exchangeRaw,
  getToken,
  initBody,
  randomBytesOf,
  signIndependently,
  tusUpload,
} from './helpers';

describe('independent signer', () => {
  it('reproduces docs/PROTOCOL.md vector 1', () => {
    const headers = signIndependently({
      appId: 'test-app-id',
      appSecret: 'test-secret-key',
      method: 'POST',
      url: 'https://aura.example.com/api/auth/exchange',
      body: '{"ttl":3600,"scopes":["upload:init","upload:manage"]}',
      timestamp: 1706140800,
      nonce: '550e8400-e29b-41d4-a716-446655440000',
    });
    expect(headers.Authorization).toMatch(
      /Signature=4e865169c280c238e93ea51681fdf9e5977ecbf0dc60fbbf0b6b7ccba2005093$/,
    );
  });
});

describe("the vendor's whole flow, with an independent signer and plain fetch", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ port: 0 });
  });
  afterAll(() => sb.close());

  it('runs exchange → config → init → tus → start → complete → submit → withdraw, with its refusals', async () => {
    // 1. exchange (both answer shapes at once)
    const exchanged = await exchangeRaw(sb, {
      ttl: 3600,
      scopes: ['upload:init', 'upload:manage', 'integration:read'],
      max_uses: 100,
    });
    expect(exchanged.status).toBe(200);
    const grant = (await exchanged.json()) as Record<string, unknown>;
    expect(grant).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      scopes: ['upload:init', 'upload:manage', 'integration:read'],
      max_uses: 100,
    });
    const token = grant.token as string;
    expect(token).toMatch(/^aubt_/);
    expect(grant.access_token).toBe(token);
    expect(Date.parse(grant.expires_at as string)).toBeGreaterThan(Date.now() + 3500_000);

    // 2. a bad signature → 401 in Aura's shape
    const bad = await exchangeRaw(sb, { ttl: 3600 }, { tamper: true });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({
      error: { code: 'invalid_signature', message: expect.any(String) },
    });

    // 3. config
    const config = await api(sb, 'GET', '/uploader/config', token);
    expect(config.status).toBe(200);
    const lift = config.body.lift as { endpoint: string; token: string; bucket: string };
    expect(lift.endpoint).toBe(`${sb.url}/files/`);
    expect(config.body.mode).toBe('bulk');

    // 4. init
    const uploadId = randomUUID();
    const init = await api(sb, 'POST', '/uploader/upload/init', token, initBody(uploadId));
    expect(init.status).toBe(200);
    expect((init.body.studies as unknown[]).length).toBe(1);

    // 5. submit before complete → 409
    const early = await api(sb, 'POST', '/uploader/manage/submit', token, { upload_id: uploadId });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ error: { code: 'invalid_state' } });

    // 6. a real tus upload to lift.endpoint
    const bytes = randomBytesOf(200_000);
    const location = await tusUpload(lift.endpoint, token, bytes, {
      upload_id: uploadId,
      filename: 'study.zip',
    });
    expect(location.startsWith(lift.endpoint)).toBe(true);
    const listed = (await (await fetch(`${sb.url}/_sandbox/uploads/${uploadId}`)).json()) as {
      upload: { files: { id: string }[] };
    };
    expect(listed.upload.files).toMatchObject([
      { uploadId, finished: true, size: bytes.length, offset: bytes.length },
    ]);
    const fileId = listed.upload.files[0]!.id;
    expect(await readFile(path.join(sb.dataDir, fileId))).toEqual(Buffer.from(bytes));

    // 7. start, complete, submit, withdraw
    const assembly = { upload_id: uploadId, assembly_id: 'asm-1', mode: 'uploader' };
    expect((await api(sb, 'POST', '/uploader/upload/start', token, assembly)).status).toBe(200);
    expect((await api(sb, 'POST', '/uploader/upload/complete', token, assembly)).status).toBe(200);
    const submitted = await api(sb, 'POST', '/uploader/manage/submit', token, {
      upload_id: uploadId,
      metadata: { referral_id: 'REF-1' },
    });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({
      success: true,
      upload_id: uploadId,
      status: 'submitted',
    });
    const withdrawn = await api(sb, 'POST', '/uploader/manage/withdraw', token, {
      upload_id: uploadId,
      reason: 'sent to the wrong clinic',
    });
    expect(withdrawn.body).toMatchObject({ success: true, status: 'withdrawn' });
    expect(sb.upload(uploadId)?.history.map((h) => h.to)).toEqual([
      'initialized',
      'started',
      'completed',
      'submitted',
      'withdrawn',
    ]);

    // 8. a token without upload:init → 403 on init
    const readOnly = await getToken(sb, { scopes: ['integration:read', 'upload:manage'] });
    const refused = await api(sb, 'POST', '/uploader/upload/init', readOnly, initBody());
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'insufficient_scope' } });
    expect((refused.body.error as { message: string }).message).toContain('upload:init');

    // 9. the 11th exchange within a minute → 429 with Retry-After (two succeeded so far)
    for (let i = 3; i <= 10; i++) expect((await exchangeRaw(sb)).status).toBe(200);
    const limited = await exchangeRaw(sb);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
  });
});
