import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index';
import { api, getToken, initBody } from './helpers';

const OTHER = { appId: 'aura_pk_other', appSecret: 'aura_sk_other', apiKey: 'aura_au_other' };

describe('bearer endpoints', () => {
  let sb: Sandbox;
  let now = Date.now();
  const at = () => ({ timestamp: Math.floor(now / 1000) });
  beforeAll(async () => {
    sb = await startSandbox({
      apps: [
        { appId: 'aura_pk_sandbox', appSecret: 'aura_sk_sandbox', apiKey: 'aura_au_sandbox' },
        OTHER,
      ],
      now: () => now,
      rateLimits: { exchange: 1000 },
    });
  });
  afterEach(async () => {
    now = Date.now();
    await sb.reset();
  });
  afterAll(() => sb.close());

  describe('GET /uploader/config', () => {
    it('answers the tus endpoint, a lift token and the mode', async () => {
      const token = await getToken(sb, { scopes: ['integration:read'] }, at());
      const res = await api(sb, 'GET', '/uploader/config', token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        lift: {
          endpoint: `${sb.url}/files/`,
          token: expect.stringMatching(/^aulift_/),
          bucket: 'uploads',
        },
        mode: 'bulk',
      });
      // The same token keeps the same lift token.
      const again = await api(sb, 'GET', '/uploader/config', token);
      expect((again.body.lift as { token: string }).token).toBe(
        (res.body.lift as { token: string }).token,
      );
    });

    it('needs integration:read (403) and the X-Api-Key (401)', async () => {
      const token = await getToken(sb, { scopes: ['upload:init'] }, at());
      const forbidden = await api(sb, 'GET', '/uploader/config', token);
      expect(forbidden.status).toBe(403);
      expect(forbidden.body).toEqual({
        error: { code: 'insufficient_scope', message: expect.stringContaining('integration:read') },
      });
      const full = await getToken(sb, {}, at());
      const noKey = await api(sb, 'GET', '/uploader/config', full, undefined, { 'X-Api-Key': '' });
      expect(noKey.status).toBe(401);
      expect(noKey.body).toMatchObject({ error: { code: 'invalid_api_key' } });
      const otherKey = await api(sb, 'GET', '/uploader/config', full, undefined, {
        'X-Api-Key': OTHER.apiKey,
      });
      expect(otherKey.status).toBe(401);
    });

    it('is limited to 30 per minute per app', async () => {
      const token = await getToken(sb, {}, at());
      for (let i = 0; i < 30; i++) {
        expect((await api(sb, 'GET', '/uploader/config', token)).status).toBe(200);
      }
      const limited = await api(sb, 'GET', '/uploader/config', token);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('60');
      expect(limited.body).toMatchObject({ error: { code: 'rate_limited' } });
    });
  });

  describe('tokens', () => {
    it('refuses a missing, malformed or unknown token with invalid_token', async () => {
      for (const auth of [undefined, 'aubt_doesnotexist']) {
        const res = await api(sb, 'GET', '/uploader/config', auth);
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ error: { code: 'invalid_token' } });
      }
      const basic = await api(sb, 'GET', '/uploader/config', undefined, undefined, {
        Authorization: 'Basic dXNlcjpwYXNz',
      });
      expect(basic.body).toMatchObject({ error: { code: 'invalid_token' } });
    });

    it('refuses an expired token with token_expired', async () => {
      const token = await getToken(sb, { ttl: 60 }, at());
      expect((await api(sb, 'GET', '/uploader/config', token)).status).toBe(200);
      now += 60_000;
      const res = await api(sb, 'GET', '/uploader/config', token);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: 'token_expired' } });
    });

    it('counts every bearer call against max_uses, then token_exhausted', async () => {
      const token = await getToken(sb, { max_uses: 2 }, at());
      expect((await api(sb, 'GET', '/uploader/config', token)).status).toBe(200);
      expect((await api(sb, 'POST', '/uploader/upload/init', token, initBody())).status).toBe(200);
      const res = await api(sb, 'GET', '/uploader/config', token);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: 'token_exhausted' } });
    });

    it('keeps tokens per app: another app cannot see this app’s uploads', async () => {
      const mine = await getToken(sb, {}, at());
      const theirs = await getToken(sb, {}, { ...at(), app: OTHER });
      const uploadId = randomUUID();
      await api(sb, 'POST', '/uploader/upload/init', mine, initBody(uploadId));
      const res = await api(
        sb,
        'POST',
        '/uploader/upload/cancel',
        theirs,
        { upload_id: uploadId },
        { 'X-Api-Key': OTHER.apiKey },
      );
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: { code: 'upload_not_found' } });
    });
  });

  describe('the manage endpoints', () => {
    it('accept the bearer token alone (no X-Api-Key), as the Python and .NET clients send', async () => {
      const token = await getToken(sb, {}, at());
      const uploadId = randomUUID();
      await api(sb, 'POST', '/uploader/upload/init', token, initBody(uploadId));
      const assembly = { upload_id: uploadId, assembly_id: 'a1' };
      await api(sb, 'POST', '/uploader/upload/start', token, assembly);
      await api(sb, 'POST', '/uploader/upload/complete', token, assembly);
      const noKey = { 'X-Api-Key': '' };
      const submit = await api(
        sb,
        'POST',
        '/uploader/manage/submit',
        token,
        { upload_id: uploadId },
        noKey,
      );
      expect(submit.status).toBe(200);
      const withdraw = await api(
        sb,
        'POST',
        '/uploader/manage/withdraw',
        token,
        { upload_id: uploadId },
        noKey,
      );
      expect(withdraw.status).toBe(200);
    });

    it('still refuse a wrong X-Api-Key when one is sent', async () => {
      const token = await getToken(sb, {}, at());
      const res = await api(
        sb,
        'POST',
        '/uploader/manage/submit',
        token,
        { upload_id: randomUUID() },
        { 'X-Api-Key': 'aura_au_wrong' },
      );
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: 'invalid_api_key' } });
    });

    it('need upload:manage', async () => {
      const token = await getToken(sb, { scopes: ['upload:init'] }, at());
      for (const path of ['/uploader/manage/submit', '/uploader/manage/withdraw']) {
        const res = await api(sb, 'POST', path, token, { upload_id: randomUUID() });
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ error: { code: 'insufficient_scope' } });
      }
    });
  });
});
