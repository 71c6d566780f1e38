/**
 * Hono idioms through `app.request()`, as a Worker runs them: the core's WebCrypto build (what
 * the `worker`/`workerd` conditions select), the runtime seen as workerd, and the `AURA_*`
 * configuration in `c.env` bindings, never in `process.env`.
 */
import { AuraError, cryptoBackend, signRequest } from '@aura/core';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { validator } from 'hono/validator';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type AuraEnv,
  auraErrorHandler,
  auraMiddleware,
  auraRoutes,
  requireAuraToken,
  verifyAuraSignature,
} from '../src/index';
import { createTestApp, PARTNER, secrets, USER_HEADER } from './support/app';
import { auraVariables } from './support/runtime-scenarios';

// The edge build swaps exactly this module (tsup.preset.ts); so does this file.
vi.mock('../../core/src/crypto/default', () => import('../../core/src/crypto/default.web'));

const ORIGIN = 'http://worker.example';
const PAYLOAD = '{ "event" : "upload.completed",\n  "id": 42 }';

let sandbox: Sandbox;
let bindings: Record<string, string>;
beforeAll(async () => {
  // getRuntimeKey() answers "workerd" from this, as inside a Worker.
  vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' });
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('AURA_')) vi.stubEnv(name, undefined);
  }
  sandbox = await startSandbox();
  bindings = auraVariables(sandbox);
});
afterEach(() => sandbox.reset());
afterAll(async () => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  await sandbox.close();
});

function signed(body: string, path = '/hooks/aura', headers: Record<string, string> = {}) {
  return signRequest(PARTNER, {
    method: 'POST',
    url: `${ORIGIN}${path}`,
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  });
}

describe('on the WebCrypto build, configured by bindings', () => {
  it('runs the core with WebCrypto, not node:crypto', () => {
    expect(cryptoBackend.name).toBe('webcrypto');
  });

  it('builds the client from c.env at the first request, once per bindings object', async () => {
    const seen: unknown[] = [];
    const app = new Hono<AuraEnv>();
    app.use('*', auraMiddleware()); // no process.env: nothing is read at start-up
    app.get('/which', (c) => {
      seen.push(c.var.aura);
      return c.text('ok');
    });
    const other = { ...bindings, AURA_TIMEOUT: '5' };
    for (const env of [bindings, bindings, other]) {
      expect((await app.request('/which', {}, env)).status).toBe(200);
    }
    expect(seen[1]).toBe(seen[0]);
    expect(seen[2]).not.toBe(seen[0]);
  });

  it('serves upload-token and the token guard from the bindings', async () => {
    const app = createTestApp();
    const token = await app.request(
      '/api/aura/upload-token',
      { method: 'POST', headers: { [USER_HEADER]: 'u1' } },
      bindings,
    );
    expect(token.status).toBe(200);
    expect(Object.keys((await token.json()) as object).sort()).toEqual([
      'expires_at',
      'scopes',
      'token',
    ]);
    const config = await app.request('/uploads/config', {}, bindings);
    expect(config.status).toBe(200);
    expect(await config.json()).toMatchObject({ lift: { endpoint: sandbox.tusUrl } });
  });

  it('answers aura_not_configured when the Worker has no AURA_* bindings', async () => {
    const answer = await createTestApp().request('/uploads/config', {}, {});
    expect(answer.status).toBe(500);
    expect(await answer.json()).toMatchObject({ error: { code: 'aura_not_configured' } });
  });
});

describe('verifyAuraSignature on the Web Request path', () => {
  it('verifies the raw bytes and leaves them to c.req.json(), c.req.text() and validator()', async () => {
    const app = new Hono();
    app.post(
      '/hooks/aura',
      verifyAuraSignature({ secrets }),
      validator('json', (value) => value),
      async (c) =>
        c.json({
          from: c.var.auraCaller.appId,
          text: await c.req.text(),
          valid: c.req.valid('json'),
        }),
    );
    const call = await signed(PAYLOAD);
    const answer = await app.request(call.url, { ...call, body: PAYLOAD });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({
      from: PARTNER.appId,
      text: PAYLOAD,
      valid: { event: 'upload.completed', id: 42 },
    });
  });

  it('leaves a signed form body to c.req.parseBody()', async () => {
    const app = new Hono();
    app.post('/hooks/aura', verifyAuraSignature({ secrets }), async (c) =>
      c.json(await c.req.parseBody()),
    );
    const form = 'event=upload.completed&id=42';
    const call = await signed(form, '/hooks/aura', {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    const answer = await app.request(call.url, { ...call, body: form });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ event: 'upload.completed', id: '42' });
  });

  it('refuses one changed byte, with the configured failure status', async () => {
    const app = new Hono();
    app.post('/hooks/aura', verifyAuraSignature({ secrets, failureStatus: 403 }), (c) =>
      c.text('reached'),
    );
    const call = await signed(PAYLOAD);
    const answer = await app.request(call.url, { ...call, body: PAYLOAD.replace('42', '43') });
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ error: { code: 'invalid_signature' } });
  });

  it('refuses a repeated Authorization, which a Web Headers joins into one value', async () => {
    const app = createTestApp();
    const call = await signed(PAYLOAD);
    const headers = new Headers(call.headers);
    headers.append('Authorization', call.headers.Authorization!);
    const answer = await app.request(
      call.url,
      { method: 'POST', headers, body: PAYLOAD },
      bindings,
    );
    // Refused as malformed (the joined value is no single Authorization), never verified.
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({ error: { code: 'malformed_authorization' } });
  });

  it('answers 413 past maxBodyBytes, declared or streamed', async () => {
    const app = createTestApp({ verify: { maxBodyBytes: 16 } });
    const call = await signed(PAYLOAD);
    const declared = await app.request(call.url, { ...call, body: PAYLOAD }, bindings);
    expect(declared.status).toBe(413);
    const stream = new Blob([PAYLOAD]).stream();
    const streamed = await app.request(
      call.url,
      {
        method: 'POST',
        headers: call.headers,
        body: stream,
        duplex: 'half',
      } as RequestInit,
      bindings,
    );
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toMatchObject({ error: { code: 'body_too_large' } });
  });

  it('uses bytes an earlier middleware read with c.req.arrayBuffer()', async () => {
    const app = new Hono();
    app.use('*', async (c, next) => {
      await c.req.arrayBuffer();
      await next();
    });
    app.post('/hooks/aura', verifyAuraSignature({ secrets }), async (c) =>
      c.json(await c.req.json()),
    );
    const call = await signed(PAYLOAD);
    const answer = await app.request(call.url, { ...call, body: PAYLOAD });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ event: 'upload.completed', id: 42 });
  });

  it('answers raw_body_unavailable, naming the fix, when the body was read only as JSON', async () => {
    const app = new Hono();
    app.use('*', async (c, next) => {
      await c.req.json();
      await next();
    });
    app.post('/hooks/aura', verifyAuraSignature({ secrets }), (c) => c.text('reached'));
    const call = await signed(PAYLOAD);
    const answer = await app.request(call.url, { ...call, body: PAYLOAD });
    expect(answer.status).toBe(500);
    const { error } = (await answer.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('raw_body_unavailable');
    expect(error.message).toContain('verifyAuraSignature() before');
  });
});

describe('routes, guard and error handler', () => {
  it('reads a route body a validator already parsed', async () => {
    const app = new Hono<{ Variables: { user: { id: string } } }>();
    app.use('*', async (c, next) => {
      c.set('user', { id: 'u1' });
      await c.req.json();
      await next();
    });
    app.route('/api/aura', auraRoutes({ authorize: (c) => c.get('user'), env: (c) => c.env }));
    const answer = await app.request(
      '/api/aura/submit',
      { method: 'POST', body: JSON.stringify({ upload_id: crypto.randomUUID() }) },
      bindings,
    );
    // Aura's own refusal, kept with its code: the body reached Aura intact.
    expect(answer.status).toBe(404);
    expect(await answer.json()).toMatchObject({ error: { code: 'upload_not_found' } });
  });

  it('requireAuraToken() fails closed without auraMiddleware()', async () => {
    const app = new Hono();
    app.get('/uploads/config', requireAuraToken(), (c) => c.text('reached'));
    const answer = await app.request('/uploads/config');
    expect(answer.status).toBe(500);
    expect(await answer.json()).toMatchObject({ error: { code: 'aura_not_configured' } });
  });

  it('auraErrorHandler maps Aura errors and leaves the rest to Hono’s defaults', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const app = new Hono();
    app.get('/aura', () => {
      throw new AuraError('timeout', 'Aura did not answer within 30000 ms');
    });
    app.get('/http', () => {
      throw new HTTPException(418, { message: 'teapot' });
    });
    app.get('/bug', () => {
      throw new TypeError('a bug of the app');
    });
    app.onError(auraErrorHandler);

    const aura = await app.request('/aura');
    expect(aura.status).toBe(504);
    expect(await aura.json()).toMatchObject({ error: { code: 'aura_timeout' } });
    const http = await app.request('/http');
    expect([http.status, await http.text()]).toEqual([418, 'teapot']);
    const bug = await app.request('/bug');
    expect([bug.status, await bug.text()]).toEqual([500, 'Internal Server Error']);
    expect(quiet).toHaveBeenCalledTimes(1);
    quiet.mockRestore();
  });
});
