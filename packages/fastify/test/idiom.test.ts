// Fastify's own idioms around the adapter: encapsulation, `prefix`, the default JSON parser left
// in place for every other route, the verifier on a route declared at the root, `inject`, and an
// error handler that is never set behind the app's back. Against a real sandbox on 127.0.0.1.
import { randomUUID } from 'node:crypto';
import { isAuraError, signRequest } from '@aura/core';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import Fastify, { type FastifyInstance } from 'fastify';
import rawBody from 'fastify-raw-body';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  auraErrorHandler,
  auraPlugin,
  auraRoutes,
  requireAuraToken,
  verifyAuraSignature,
} from '../src/index';
import { CALLER, errorOf, listen, sandboxClient, secrets, signedPost } from './support';

let sandbox: Sandbox;
const apps: FastifyInstance[] = [];
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  sandbox.reset();
});
afterAll(() => sandbox.close());

function fastify(): FastifyInstance {
  const app = Fastify();
  apps.push(app);
  return app;
}

const user = { id: 'user-1' };
const echo = async (request: { body: unknown }) => ({ got: request.body });

describe('auraPlugin', () => {
  it('puts one client on the app and on every request, in child contexts too', async () => {
    const app = fastify();
    const client = sandboxClient(sandbox);
    await app.register(auraPlugin, { client });
    await app.register(async (child) => {
      child.get('/child', async (request) => ({ same: request.aura === client }));
    });
    app.get('/root', async (request) => ({ same: request.aura === app.aura }));

    expect((await app.inject('/child')).json()).toEqual({ same: true });
    expect((await app.inject('/root')).json()).toEqual({ same: true });
    expect(app.aura).toBe(client);
  });

  it('lets a hook set request.aura for one request, the others keeping the app’s client', async () => {
    const app = fastify();
    await app.register(auraPlugin, { client: sandboxClient(sandbox) });
    const other = sandboxClient(sandbox);
    app.addHook('onRequest', async (request) => {
      if (request.headers['x-tenant'] === 'b') request.aura = other;
    });
    app.get('/which', { preHandler: requireAuraToken() }, async (request) => ({
      other: request.aura === other,
      app: request.aura === app.aura,
    }));
    const b = await app.inject({ url: '/which', headers: { 'x-tenant': 'b' } });
    expect(b.json()).toEqual({ other: true, app: false });
    expect((await app.inject('/which')).json()).toEqual({ other: false, app: true });
  });

  it('fails at register, naming every missing variable, not on the first request', async () => {
    const app = fastify();
    const failure = await app.register(auraPlugin, { env: {} }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isAuraError(failure, 'configuration')).toBe(true);
    for (const name of ['AURA_BASE_URL', 'AURA_APP_ID', 'AURA_APP_SECRET', 'AURA_API_KEY']) {
      expect((failure as Error).message).toContain(name);
    }
  });

  it('never sets an error handler: an error elsewhere keeps Fastify’s default answer', async () => {
    const app = fastify();
    await app.register(auraPlugin, { client: sandboxClient(sandbox) });
    app.get('/boom', async () => {
      throw new Error('the app’s own failure');
    });
    const res = await app.inject('/boom');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'the app’s own failure',
    });
  });
});

describe('auraRoutes', () => {
  async function appWithRoutes(prefix?: string) {
    const app = fastify();
    await app.register(auraPlugin, { client: sandboxClient(sandbox) });
    await app.register(auraRoutes, { ...(prefix ? { prefix } : {}), authorize: () => user });
    app.post('/echo', echo);
    return app;
  }

  it('mounts under `prefix`, and only there', async () => {
    const app = await appWithRoutes('/api/aura');
    const res = await app.inject({ method: 'POST', url: '/api/aura/upload-token' });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json()).sort()).toEqual(['expires_at', 'scopes', 'token']);
    expect((await app.inject({ method: 'POST', url: '/upload-token' })).statusCode).toBe(404);
  });

  it('mounts at the root without `prefix`', async () => {
    const app = await appWithRoutes();
    expect((await app.inject({ method: 'POST', url: '/upload-token' })).statusCode).toBe(200);
  });

  it('keeps its byte parser inside: a sibling route still has the default JSON parser', async () => {
    const app = await appWithRoutes('/api/aura');
    const json = { method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' } };
    expect((await app.inject({ ...json, payload: '{"a":1}' } as const)).json()).toEqual({
      got: { a: 1 },
    });
    // Fastify's own parser answers bad JSON on the sibling, in Fastify's own shape.
    const bad = await app.inject({ ...json, payload: '{"a":' } as const);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
    // While the routes answer the core's 400 for the same bytes.
    const routeBad = await app.inject({ ...json, url: '/api/aura/submit', payload: '{"a":' });
    expect(routeBad.statusCode).toBe(400);
    expect(routeBad.json().error.code).toBe('invalid_json');
  });

  it('maps Aura’s errors itself, even with an app error handler set after register', async () => {
    const app = await appWithRoutes('/api/aura');
    app.setErrorHandler((_error, _request, reply) => reply.code(418).send({ teapot: true }));
    const res = await app.inject({
      method: 'POST',
      url: '/api/aura/submit',
      payload: { upload_id: randomUUID() },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('upload_not_found');
  });

  it('answers 413 in its own shape past the routes’ body limit', async () => {
    const app = await appWithRoutes('/api/aura');
    const res = await app.inject({
      method: 'POST',
      url: '/api/aura/submit',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ upload_id: 'u', metadata: { pad: 'x'.repeat(200_000) } }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('body_too_large');
  });

  it('refuses to start without authorize', async () => {
    const app = fastify();
    await app.register(auraPlugin, { client: sandboxClient(sandbox) });
    const registered = app.register(auraRoutes, {});
    await expect(registered).rejects.toThrow(/authorize is required/);
  });
});

describe('verifyAuraSignature', () => {
  async function hookApp(setup?: (app: FastifyInstance) => Promise<void>) {
    const app = fastify();
    await setup?.(app);
    app.post('/hooks/aura', { preHandler: verifyAuraSignature({ secrets }) }, async (request) => ({
      from: request.auraCaller.appId,
      got: request.body,
    }));
    app.post('/echo', echo);
    return app;
  }
  const withPlugin = async (app: FastifyInstance) => {
    await app.register(auraPlugin, { client: sandboxClient(sandbox) });
  };

  it('verifies a route declared at the root from the raw bytes, re-spaced JSON included', async () => {
    const base = await listen(await hookApp(withPlugin));
    const res = await signedPost(`${base}/hooks/aura`, '{ "event" :  "done", "n": [1, 2] }');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ from: CALLER.appId, got: { event: 'done', n: [1, 2] } });
  });

  it('refuses one changed byte before any parser sees it, even when the JSON breaks', async () => {
    const base = await listen(await hookApp(withPlugin));
    const body = '{"event":"done"}';
    const changed = await signedPost(`${base}/hooks/aura`, body, {
      tamper: (b) => b.replace('done', 'dune'),
    });
    expect(changed.status).toBe(401);
    const broken = await signedPost(`${base}/hooks/aura`, body, { tamper: (b) => b.slice(0, -1) });
    expect(broken.status).toBe(401);
    expect((await errorOf(broken)).code).not.toMatch(/^FST_/);
  });

  it('leaves the default JSON parser to every other route', async () => {
    const app = await hookApp(withPlugin);
    const ok = await app.inject({ method: 'POST', url: '/echo', payload: { a: 1 } });
    expect(ok.json()).toEqual({ got: { a: 1 } });
    const bad = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{',
    });
    expect(bad.json().code).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
  });

  it('works through fastify.inject', async () => {
    const app = await hookApp(withPlugin);
    const unsigned = await app.inject({ method: 'POST', url: '/hooks/aura', payload: { a: 1 } });
    expect(unsigned.statusCode).toBe(401);
    expect(unsigned.json().error.code).toMatch(/^[a-z_]+$/);
  });

  it('answers before the parser even with an async onSend hook in the app', async () => {
    const seen: string[] = [];
    const app = await hookApp(async (app) => {
      await withPlugin(app);
      app.addHook('onSend', async (request, _reply, payload) => {
        seen.push(request.url);
        return payload;
      });
    });
    const base = await listen(app);
    const res = await signedPost(`${base}/hooks/aura`, '{"a":1}', { tamper: () => '{"a":2}' });
    expect(res.status).toBe(401);
    expect(seen).toEqual(['/hooks/aura']);
  });

  it('raises the route’s body limit to its maxBodyBytes, and answers 413 past it', async () => {
    const app = fastify();
    await withPlugin(app);
    const verify = verifyAuraSignature({ secrets, maxBodyBytes: 2_000_000 });
    app.post('/big', { preHandler: verify }, async (request) => ({
      size: JSON.stringify(request.body).length,
    }));
    const base = await listen(app);
    const big = JSON.stringify({ pad: 'x'.repeat(1_500_000) });
    const ok = await signedPost(`${base}/big`, big);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ size: big.length });
    const tooBig = await signedPost(`${base}/big`, JSON.stringify({ pad: 'x'.repeat(2_000_000) }));
    expect(tooBig.status).toBe(413);
    expect((await errorOf(tooBig)).code).toBe('body_too_large');
  });

  it('uses the bytes fastify-raw-body kept when the plugin is not registered', async () => {
    for (const encoding of ['utf8', false] as const) {
      const app = await hookApp(async (app) => {
        await app.register(rawBody, { encoding });
      });
      const base = await listen(app);
      const res = await signedPost(`${base}/hooks/aura`, '{ "a" : 1 }');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ from: CALLER.appId, got: { a: 1 } });
      const changed = await signedPost(`${base}/hooks/aura`, '{"a":1}', {
        tamper: () => '{"a":2}',
      });
      expect(changed.status).toBe(401);
    }
  });

  it('hands the verified bytes on to Fastify’s parser, so a body schema still applies', async () => {
    const app = fastify();
    await withPlugin(app);
    const schema = { body: { type: 'object', required: ['event'] } };
    app.post('/typed', { schema, preHandler: verifyAuraSignature({ secrets }) }, echo);
    const base = await listen(app);
    const ok = await signedPost(`${base}/typed`, '{"event":"done"}');
    expect(await ok.json()).toEqual({ got: { event: 'done' } });
    const invalid = await signedPost(`${base}/typed`, '{"other":1}');
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { code: string }).code).toBe('FST_ERR_VALIDATION');
  });

  it('shares the stream with fastify-raw-body when both are registered', async () => {
    const app = await hookApp(async (app) => {
      await app.register(rawBody);
      await withPlugin(app);
    });
    const base = await listen(app);
    const res = await signedPost(`${base}/hooks/aura`, '{ "a" : 1 }');
    expect(await res.json()).toEqual({ from: CALLER.appId, got: { a: 1 } });
  });

  it('fails with raw_body_unavailable, naming the fix, when no bytes were kept', async () => {
    const base = await listen(await hookApp());
    const res = await signedPost(`${base}/hooks/aura`, '{"a":1}');
    expect(res.status).toBe(500);
    const error = await errorOf(res);
    expect(error.code).toBe('raw_body_unavailable');
    expect(error.message).toContain('app.register(auraPlugin)');
  });

  it('verifies a signed GET (no body) and a route in an encapsulated child with a prefix', async () => {
    const app = fastify();
    await withPlugin(app);
    await app.register(
      async (child) => {
        child.get('/status', { preHandler: verifyAuraSignature({ secrets }) }, async (request) => ({
          from: request.auraCaller.appId,
          body: request.body ?? null,
        }));
      },
      { prefix: '/partners' },
    );
    const base = await listen(app);
    const signed = await signRequest(CALLER, { method: 'GET', url: `${base}/partners/status?x=1` });
    const res = await fetch(signed.url, { headers: signed.headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ from: CALLER.appId, body: null });
    const unsigned = await fetch(`${base}/partners/status?x=1`);
    expect(unsigned.status).toBe(401);
  });

  it('cannot see a route declared before the plugin: raw_body_unavailable, not a pass', async () => {
    const app = fastify();
    app.post('/early', { preHandler: verifyAuraSignature({ secrets }) }, echo);
    await withPlugin(app);
    const base = await listen(app);
    const res = await signedPost(`${base}/early`, '{"a":1}');
    expect(res.status).toBe(500);
    expect((await errorOf(res)).code).toBe('raw_body_unavailable');
  });

  it('refuses two verifiers on one route when it is declared', async () => {
    const app = fastify();
    await withPlugin(app);
    const twice = [verifyAuraSignature({ secrets }), verifyAuraSignature({ secrets })];
    expect(() => app.post('/twice', { preHandler: twice }, echo)).toThrow(
      /one verifyAuraSignature per route/,
    );
  });

  it('refuses bad options when the route is declared', () => {
    expect(() => verifyAuraSignature({ secrets: {} })).toThrow(/secrets/);
  });
});

describe('requireAuraToken and auraErrorHandler', () => {
  it('holds a token before the handler; maps Aura’s refusal when none can be had', async () => {
    const app = fastify();
    await app.register(auraPlugin, { client: sandboxClient(sandbox) });
    app.get('/uploads/config', { preHandler: requireAuraToken() }, (request) =>
      request.aura.getUploaderConfig(),
    );
    const ok = await app.inject('/uploads/config');
    expect(ok.statusCode).toBe(200);
    expect(ok.json().lift.endpoint).toBe(sandbox.tusUrl);

    const refusing = fastify();
    const { appId, apiKey } = sandbox.credentials;
    const wrong = { baseUrl: sandbox.apiUrl, appId, apiKey, appSecret: 'aura_sk_wrong' };
    await refusing.register(auraPlugin, { client: wrong });
    refusing.get('/t', { preHandler: requireAuraToken() }, async () => ({ reached: true }));
    const refused = await refusing.inject('/t');
    // Our own credentials refused: a bad gateway for the caller, never the secret.
    expect(refused.statusCode).toBe(502);
    expect(JSON.stringify(refused.json())).not.toContain('aura_sk_wrong');
    expect(refused.json().error.code).toBe('aura_auth_failed');
  });

  it('fails closed without the plugin', async () => {
    const app = fastify();
    app.get('/t', { preHandler: requireAuraToken() }, async () => ({ reached: true }));
    const res = await app.inject('/t');
    expect(res.statusCode).toBe(500);
    expect(res.json().error.message).toContain('app.register(auraPlugin)');
  });

  it('maps Aura errors when opted in, and hands every other error to Fastify', async () => {
    const app = fastify();
    await app.register(auraPlugin, { client: sandboxClient(sandbox) });
    app.setErrorHandler(auraErrorHandler);
    app.post('/submit', (request) => request.aura.submit({ uploadId: randomUUID() }));
    app.get('/boom', async () => {
      throw Object.assign(new Error('nope'), { statusCode: 409 });
    });
    const aura = await app.inject({ method: 'POST', url: '/submit' });
    expect(aura.statusCode).toBe(404);
    expect(aura.json()).toEqual({
      error: { code: 'upload_not_found', message: expect.any(String) },
    });
    const other = await app.inject('/boom');
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ statusCode: 409, message: 'nope' });
  });
});
