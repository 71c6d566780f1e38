import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index';
import { api, exchangeRaw, getToken, initBody, tusCreate } from './helpers';

const ORIGIN = 'http://localhost:5173';

describe('sandbox controls, faults, CORS and capture', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ cors: [ORIGIN], rateLimits: { exchange: 1000 } });
  });
  afterEach(() => sb.reset());
  afterAll(() => sb.close());

  describe('/_sandbox/health and unknown controls', () => {
    it('answers health', async () => {
      const res = await fetch(`${sb.url}/_sandbox/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true, apiUrl: sb.apiUrl, tusUrl: sb.tusUrl });
    });

    it('answers 404 for an unknown control and 405 for a wrong method', async () => {
      expect((await fetch(`${sb.url}/_sandbox/nothing`)).status).toBe(404);
      const wrong = await fetch(`${sb.url}/_sandbox/reset`);
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('POST');
    });
  });

  describe('reset', () => {
    it('forgets tokens, uploads, limits and the log, over HTTP and in code', async () => {
      const token = await getToken(sb);
      const uploadId = randomUUID();
      await api(sb, 'POST', '/uploader/upload/init', token, initBody(uploadId));
      sb.fault({ path: '/uploader/config', status: 500, times: 5 });
      expect(sb.requests().length).toBeGreaterThan(0);

      const res = await fetch(`${sb.url}/_sandbox/reset`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
      });
      expect(res.status).toBe(200);
      expect(sb.upload(uploadId)).toBeUndefined();
      expect(sb.requests()).toEqual([]);
      const stale = await api(sb, 'GET', '/uploader/config', token);
      expect(stale.status).toBe(401);
      expect(stale.body).toMatchObject({ error: { code: 'invalid_token' } });
    });

    it('forgets rate-limit windows and nonces', async () => {
      const limited = await startSandbox({ rateLimits: { exchange: 1 } });
      try {
        const nonce = randomUUID();
        expect((await exchangeRaw(limited, {}, { nonce })).status).toBe(200);
        expect((await exchangeRaw(limited)).status).toBe(429);
        await limited.reset();
        // Same nonce again: accepted, since reset forgets nonces (and the window).
        expect((await exchangeRaw(limited, {}, { nonce })).status).toBe(200);
      } finally {
        await limited.close();
      }
    });
  });

  describe('request log', () => {
    it('records method, path, status, app id and time, and never a secret in full', async () => {
      const token = await getToken(sb);
      await api(sb, 'GET', '/uploader/config', token);
      await api(sb, 'GET', `/uploader/config?token=${token}`, 'aubt_unknown');
      await fetch(`${sb.url}/_sandbox/health`);

      const res = await fetch(`${sb.url}/_sandbox/requests`);
      const { requests } = (await res.json()) as { requests: Record<string, unknown>[] };
      expect(requests.map((r) => [r.method, String(r.path).split('?')[0], r.status])).toEqual([
        ['POST', '/api/auth/exchange', 200],
        ['GET', '/api/uploader/config', 200],
        ['GET', '/api/uploader/config', 401],
      ]);
      expect(requests[0]).toMatchObject({ appId: 'aura_pk_sandbox', time: expect.any(String) });
      expect(requests[2]).toMatchObject({ appId: null, code: 'invalid_token' });
      expect(Date.parse(requests[0]!.time as string)).not.toBeNaN();

      const text = JSON.stringify(requests);
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.slice(5));
      expect(text).not.toContain(sb.credentials.apiKey);
      expect(text).not.toMatch(/Signature=[0-9a-f]{64}/);
      const headers = requests[1]!.headers as Record<string, string>;
      expect(headers.authorization).toMatch(/^Bearer aubt_\w{4}…\[redacted\]$/);
      expect(headers['x-api-key']).toMatch(/…\[redacted\]$/);
      expect((requests[0]!.headers as Record<string, string>).authorization).toMatch(
        /^AURA-HMAC-SHA256 Credential=aura_pk_sandbox,SignedHeaders=[^,]+,Signature=\[redacted\]$/,
      );
      expect(sb.requests()).toHaveLength(3);
    });
  });

  describe('faults', () => {
    it('answers a status with Retry-After for the next N calls, then lets calls through', async () => {
      const token = await getToken(sb);
      const fault = sb.fault({ path: '/uploader/config', status: 503, retryAfter: 7, times: 2 });
      expect(fault).toMatchObject({ remaining: 2, id: expect.any(String) });
      for (let i = 0; i < 2; i++) {
        const res = await api(sb, 'GET', '/uploader/config', token);
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('7');
        expect(res.body).toMatchObject({ error: { code: 'sandbox_fault' } });
      }
      expect((await api(sb, 'GET', '/uploader/config', token)).status).toBe(200);
      expect(sb.requests().filter((r) => r.fault === 'status')).toHaveLength(2);
    });

    it('applies before anything else: even an unsigned exchange gets the injected 429', async () => {
      sb.fault({ path: '/api/auth/exchange', status: 429, retryAfter: 2 });
      const res = await fetch(`${sb.apiUrl}/auth/exchange`, { method: 'POST' });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(await res.json()).toMatchObject({ error: { code: 'rate_limited' } });
    });

    it('delays a call, which is then handled as usual', async () => {
      sb.fault({ path: '/auth/exchange', delayMs: 300 });
      const started = performance.now();
      const res = await exchangeRaw(sb);
      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      expect(sb.requests().at(-1)).toMatchObject({ fault: 'delay', status: 200 });
    });

    it('delays and then answers a status', async () => {
      sb.fault({ path: '/auth/exchange', delayMs: 100, status: 500 });
      const started = performance.now();
      expect((await exchangeRaw(sb)).status).toBe(500);
      expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    });

    it('drops the connection', async () => {
      sb.fault({ path: '/auth/exchange', drop: true });
      await expect(exchangeRaw(sb)).rejects.toThrow();
      expect(sb.requests().at(-1)).toMatchObject({ fault: 'drop', status: 0 });
      expect((await exchangeRaw(sb)).status).toBe(200);
    });

    it('matches a method, and a path prefix (tus uploads)', async () => {
      const token = await getToken(sb);
      sb.fault({ path: '/files/*', method: 'PATCH', status: 500 });
      const created = await tusCreate(sb.tusUrl, token, 3, {});
      expect(created.status).toBe(201);
      const patch = await fetch(created.headers.get('location')!, {
        method: 'PATCH',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Offset': '0',
          'Content-Type': 'application/offset+octet-stream',
          Authorization: `Bearer ${token}`,
        },
        body: new Uint8Array(3),
      });
      expect(patch.status).toBe(500);
    });

    it('takes faults over HTTP, lists and clears them, and refuses bad ones with 422', async () => {
      const add = await fetch(`${sb.url}/_sandbox/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ path: '/uploader/upload/init', status: 502, times: 3 }),
      });
      expect(add.status).toBe(201);
      const listed = (await (await fetch(`${sb.url}/_sandbox/faults`)).json()) as {
        faults: unknown[];
      };
      expect(listed.faults).toMatchObject([{ path: '/uploader/upload/init', remaining: 3 }]);
      const token = await getToken(sb);
      expect((await api(sb, 'POST', '/uploader/upload/init', token, initBody())).status).toBe(502);
      await fetch(`${sb.url}/_sandbox/faults`, { method: 'DELETE' });
      expect((await api(sb, 'POST', '/uploader/upload/init', token, initBody())).status).toBe(200);

      for (const bad of [
        { status: 500 },
        { path: '/x' },
        { path: '/x', status: 42 },
        { path: '/x', drop: true, status: 500 },
      ]) {
        const res = await fetch(`${sb.url}/_sandbox/faults`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(bad),
        });
        expect(res.status).toBe(422);
      }
      expect(() => sb.fault({ path: 'no-slash', status: 500 })).toThrow(TypeError);
    });
  });

  describe('CORS', () => {
    it('answers a preflight from a given origin with the methods and headers tus and the API need', async () => {
      const res = await fetch(`${sb.apiUrl}/uploader/upload/init`, {
        method: 'OPTIONS',
        headers: {
          Origin: ORIGIN,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization, x-api-key, content-type',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
      const allowed = res.headers.get('access-control-allow-headers')!.toLowerCase();
      for (const h of [
        'upload-offset',
        'upload-length',
        'tus-resumable',
        'upload-metadata',
        'authorization',
        'x-api-key',
        'content-type',
      ]) {
        expect(allowed).toContain(h);
      }
      const tus = await fetch(sb.tusUrl, {
        method: 'OPTIONS',
        headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'PATCH' },
      });
      expect(tus.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    });

    it('adds CORS headers to answers for a given origin, tus answers included', async () => {
      const token = await getToken(sb);
      const res = await api(sb, 'GET', '/uploader/config', token, undefined, { Origin: ORIGIN });
      expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      const exposed = res.headers.get('access-control-expose-headers')!;
      for (const h of ['Location', 'Upload-Offset', 'Retry-After']) expect(exposed).toContain(h);
      const created = await tusCreate(sb.tusUrl, token, 1, {}, { Origin: ORIGIN });
      expect(created.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(created.headers.get('access-control-expose-headers')).toContain('Location');
    });

    it('sends no CORS headers at all to other origins', async () => {
      const pre = await fetch(`${sb.apiUrl}/auth/exchange`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
      });
      const token = await getToken(sb);
      const created = await tusCreate(sb.tusUrl, token, 1, {}, { Origin: 'http://evil.example' });
      const config = await api(sb, 'GET', '/uploader/config', token, undefined, {
        Origin: 'http://evil.example',
      });
      for (const res of [pre, created]) {
        const names = [...res.headers.keys()].filter((k) => k.startsWith('access-control-'));
        expect(names).toEqual([]);
      }
      expect([...config.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
    });
  });

  describe('capture collector', () => {
    const key = 'aura_ck_sandbox';

    it('authenticates a key to its project, like otas', async () => {
      const res = await fetch(`${sb.url}/capture/v1/auth`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}` },
      });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({
        Status: 1,
        status_description: 'authenticated',
        Response: { project: { id: 'sandbox', name: 'Aura sandbox' } },
        project: { id: 'sandbox', name: 'Aura sandbox' },
      });
      const viaBody = await fetch(`${sb.url}/capture/v1/auth`, {
        method: 'POST',
        body: JSON.stringify({ key }),
      });
      expect(viaBody.status).toBe(200);
      const bad = await fetch(`${sb.url}/capture/v1/auth`, {
        method: 'POST',
        headers: { 'X-Capture-Key': 'aura_ck_wrong' },
      });
      expect(bad.status).toBe(401);
      expect(await bad.json()).toMatchObject({ error: { code: 'invalid_capture_key' } });
    });

    it('keeps plain and gzip batches and lists them', async () => {
      const plain = await fetch(`${sb.url}/capture/v1/batches`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ events: [{ id: '1', method: 'GET', path: '/a' }] }),
      });
      expect(plain.status).toBe(202);
      expect(await plain.json()).toMatchObject({ accepted: 1 });
      const zipped = await fetch(`${sb.url}/capture/v1/batches`, {
        method: 'POST',
        headers: {
          'X-Capture-Key': key,
          'Content-Type': 'application/json',
          'Content-Encoding': 'gzip',
        },
        body: gzipSync(JSON.stringify([{ id: '2' }, { id: '3' }])),
      });
      expect(zipped.status).toBe(202);
      expect(sb.captured()).toEqual([
        { id: '1', method: 'GET', path: '/a' },
        { id: '2' },
        { id: '3' },
      ]);
      const listed = (await (await fetch(`${sb.url}/_sandbox/captured`)).json()) as {
        events: unknown[];
        batches: { encoding: string }[];
      };
      expect(listed.events).toHaveLength(3);
      expect(listed.batches.map((b) => b.encoding)).toEqual(['identity', 'gzip']);
    });

    it('refuses an unknown key, bad gzip, bad JSON and a batch that is not events', async () => {
      const send = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
        fetch(`${sb.url}/capture/v1/batches`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, ...headers },
          body,
        });
      expect((await send('[]', { Authorization: 'Bearer nope' })).status).toBe(401);
      expect((await send('not gzip', { 'Content-Encoding': 'gzip' })).status).toBe(400);
      expect((await send('{')).status).toBe(400);
      expect((await send('{"events": 3}')).status).toBe(422);
      expect((await send('[1]')).status).toBe(422);
      expect((await send('[]', { 'Content-Encoding': 'br' })).status).toBe(415);
      expect(sb.captured()).toEqual([]);
    });
  });
});
