import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index';
import { exchangeRaw, signIndependently } from './helpers';

const OTHER = { appId: 'aura_pk_other', appSecret: 'aura_sk_other', apiKey: 'aura_au_other' };
const SANDBOX = {
  appId: 'aura_pk_sandbox',
  appSecret: 'aura_sk_sandbox',
  apiKey: 'aura_au_sandbox',
};

describe('POST /auth/exchange', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ apps: [SANDBOX, OTHER], rateLimits: { exchange: 1000 } });
  });
  afterEach(() => sb.reset());
  afterAll(() => sb.close());

  it('issues a token with the asked scopes, ttl and max_uses, in both answer shapes', async () => {
    const res = await exchangeRaw(sb, { ttl: 600, scopes: ['upload:init'], max_uses: 3 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      [
        'access_token',
        'expires_at',
        'expires_in',
        'max_uses',
        'scopes',
        'token',
        'token_type',
      ].sort(),
    );
    expect(body).toMatchObject({ expires_in: 600, scopes: ['upload:init'], max_uses: 3 });
    expect(body.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const expires = Date.parse(body.expires_at as string);
    expect(Math.abs(expires - (Date.now() + 600_000))).toBeLessThan(5_000);
  });

  it('defaults to a ttl of 3600, every scope and no max_uses', async () => {
    const res = await exchangeRaw(sb, {});
    expect(await res.json()).toMatchObject({
      expires_in: 3600,
      scopes: ['upload:init', 'upload:manage', 'integration:read'],
      max_uses: null,
    });
  });

  it('accepts an empty body', async () => {
    const url = `${sb.apiUrl}/auth/exchange`;
    const headers = signIndependently({ ...SANDBOX, method: 'POST', url });
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'X-Api-Key': SANDBOX.apiKey },
    });
    expect(res.status).toBe(200);
  });

  it('accepts the maximum ttl of 86 400 and refuses more, or ≤ 0, with a Laravel 422', async () => {
    expect((await exchangeRaw(sb, { ttl: 86_400 })).status).toBe(200);
    for (const ttl of [86_401, 0, -5, 1.5, '60']) {
      const res = await exchangeRaw(sb, { ttl });
      expect(res.status).toBe(422);
      const body = (await res.json()) as { message: string; errors: Record<string, string[]> };
      expect(body.errors.ttl).toHaveLength(1);
      expect(body.message).toBe(body.errors.ttl![0]);
    }
  });

  it('refuses unknown scopes, an empty scope list and a bad max_uses', async () => {
    const res = await exchangeRaw(sb, { scopes: ['upload:init', 'admin'], max_uses: 0 });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { message: string; errors: Record<string, string[]> };
    expect(Object.keys(body.errors).sort()).toEqual(['max_uses', 'scopes.1']);
    expect(body.message).toMatch(/\(and 1 more error\)$/);
    expect((await exchangeRaw(sb, { scopes: [] })).status).toBe(422);
    expect((await exchangeRaw(sb, { scopes: 'upload:init' })).status).toBe(422);
    expect((await exchangeRaw(sb, { max_uses: 'many' })).status).toBe(422);
  });

  it('refuses a body that is not JSON with 400 (after the signature holds)', async () => {
    const url = `${sb.apiUrl}/auth/exchange`;
    const headers = signIndependently({ ...SANDBOX, method: 'POST', url, body: '{nope' });
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'X-Api-Key': SANDBOX.apiKey },
      body: '{nope',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message: expect.stringContaining('JSON') });
  });

  it('refuses a bad signature, an unknown app and a missing signature alike in Aura’s shape', async () => {
    const tampered = await exchangeRaw(sb, { ttl: 3600 }, { tamper: true });
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toMatchObject({ error: { code: 'invalid_signature' } });

    const unknown = await exchangeRaw(
      sb,
      {},
      {
        app: { appId: 'aura_pk_nobody', appSecret: 'x', apiKey: 'y' },
      },
    );
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: { code: 'invalid_signature' } });

    const wrongSecret = await exchangeRaw(sb, {}, { app: { ...SANDBOX, appSecret: 'guess' } });
    expect(await wrongSecret.json()).toMatchObject({ error: { code: 'invalid_signature' } });

    const unsigned = await fetch(`${sb.apiUrl}/auth/exchange`, {
      method: 'POST',
      headers: { 'X-Api-Key': SANDBOX.apiKey },
    });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ error: { code: 'missing_authorization' } });
  });

  it('refuses a timestamp outside the skew window', async () => {
    const old = Math.floor(Date.now() / 1000) - 301;
    const res = await exchangeRaw(sb, {}, { timestamp: old });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'timestamp_out_of_window' } });
    const ahead = await exchangeRaw(sb, {}, { timestamp: old + 602 });
    expect(await ahead.json()).toMatchObject({ error: { code: 'timestamp_out_of_window' } });
  });

  it('refuses a replayed nonce', async () => {
    const nonce = randomUUID();
    expect((await exchangeRaw(sb, {}, { nonce })).status).toBe(200);
    const replay = await exchangeRaw(sb, {}, { nonce });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: { code: 'replayed_nonce' } });
    // Nonces are per app id: another app may use the same one.
    expect((await exchangeRaw(sb, {}, { nonce, app: OTHER })).status).toBe(200);
  });

  it('refuses duplicated signed headers (fetch joins them, so send them raw)', async () => {
    const url = `${sb.apiUrl}/auth/exchange`;
    const headers = signIndependently({ ...SANDBOX, method: 'POST', url, body: '{}' });
    const { request } = await import('node:http');
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { method: 'POST' }, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      for (const [k, v] of Object.entries(headers)) req.setHeader(k, v);
      req.setHeader('X-Aura-Nonce', [headers['X-Aura-Nonce']!, randomUUID()]);
      req.setHeader('X-Api-Key', SANDBOX.apiKey);
      req.end('{}');
    });
    expect(status.status).toBe(400);
    expect(JSON.parse(status.body)).toMatchObject({ error: { code: 'duplicate_header' } });
  });

  it('requires the app’s own X-Api-Key', async () => {
    const missing = await exchangeRaw(sb, {}, { apiKey: null });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    const another = await exchangeRaw(sb, {}, { apiKey: OTHER.apiKey });
    expect(another.status).toBe(401);
    expect(await another.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
  });

  it('serves every app given, each with its own tokens', async () => {
    const res = await exchangeRaw(sb, {}, { app: OTHER });
    expect(res.status).toBe(200);
    expect(sb.credentials.apps.map((a) => a.appId)).toEqual([SANDBOX.appId, OTHER.appId]);
  });

  it('answers 405 for GET and 404 for an unknown endpoint', async () => {
    const get = await fetch(`${sb.apiUrl}/auth/exchange`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const missing = await fetch(`${sb.apiUrl}/auth/nothing`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: expect.any(String) });
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const res = await fetch(`${sb.apiUrl}/auth/exchange`, {
      method: 'POST',
      body: 'x'.repeat(1024 * 1024 + 1),
    });
    expect(res.status).toBe(413);
  });
});

describe('exchange rate limit', () => {
  it('allows 10 per minute per app by default, then 429 with Retry-After; other apps are counted apart', async () => {
    const sb = await startSandbox({ apps: [SANDBOX, OTHER] });
    try {
      for (let i = 0; i < 10; i++) expect((await exchangeRaw(sb)).status).toBe(200);
      const limited = await exchangeRaw(sb);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
      // Failed signatures are not counted against the app; other apps have their own window.
      for (let i = 0; i < 3; i++) {
        expect((await exchangeRaw(sb, { ttl: 3600 }, { app: OTHER, tamper: true })).status).toBe(
          401,
        );
      }
      for (let i = 0; i < 10; i++) {
        expect((await exchangeRaw(sb, {}, { app: OTHER })).status).toBe(200);
      }
      expect((await exchangeRaw(sb, {}, { app: OTHER })).status).toBe(429);
    } finally {
      await sb.close();
    }
  });

  it('takes an override, and the window ends after a minute', async () => {
    let now = Date.now();
    const sb = await startSandbox({ rateLimits: { exchange: 2 }, now: () => now });
    try {
      const at = () => ({ timestamp: Math.floor(now / 1000) });
      expect((await exchangeRaw(sb, {}, at())).status).toBe(200);
      expect((await exchangeRaw(sb, {}, at())).status).toBe(200);
      const limited = await exchangeRaw(sb, {}, at());
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('60');
      now += 30_000;
      const later = await exchangeRaw(sb, {}, at());
      expect(later.headers.get('retry-after')).toBe('30');
      now += 30_001;
      expect((await exchangeRaw(sb, {}, at())).status).toBe(200);
    } finally {
      await sb.close();
    }
  });
});
