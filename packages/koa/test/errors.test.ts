// auraErrors(), auraMiddleware() and requireAuraToken() the Koa way, against a real sandbox:
// an Aura error thrown anywhere downstream answers its status and code; anything else is the
// app's (Koa's own handling here); Aura unreachable is logged through Koa's 'error' event and
// answered without a stack or a secret.
import { randomUUID } from 'node:crypto';
import { AuraClient, isAuraError } from '@aura/core';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import Router from '@koa/router';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auraErrors, auraMiddleware, auraRouter, requireAuraToken } from '../src/index';
import { KOA_MAJORS, type Listening, listen, post } from './support';

let sandbox: Sandbox;
let server: Listening | undefined;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  sandbox.reset();
});
afterAll(() => sandbox.close());

function clientOptions() {
  const { appId, appSecret, apiKey } = sandbox.credentials;
  return { baseUrl: sandbox.apiUrl, appId, appSecret, apiKey, timeoutMs: 2000 };
}

describe.each(KOA_MAJORS)('%s', (_, Koa) => {
  /** An app with auraErrors first, the client attached, and the routes given. */
  async function serve(build: (router: Router) => void, client: unknown = clientOptions()) {
    const app = new Koa();
    const logged: unknown[] = [];
    app.silent = true;
    app.on('error', (error) => logged.push(error));
    app.use(auraErrors());
    app.use(auraMiddleware({ client: client as AuraClient }));
    const router = new Router();
    build(router);
    app.use(router.routes());
    server = await listen(app);
    return { url: server.url, logged };
  }

  it("auraErrors answers an Aura refusal with Aura's status and code", async () => {
    const { url, logged } = await serve((router) =>
      router.post('/submit', async (ctx) => {
        ctx.body = await ctx.state.aura.submit({ uploadId: randomUUID() });
      }),
    );

    const response = await post(`${url}/submit`, {});

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: 'upload_not_found', message: expect.any(String) },
    });
    expect(logged).toEqual([]); // a 4xx is the caller's, not the operator's
  });

  it('auraErrors leaves any other error to the app', async () => {
    const { url, logged } = await serve((router) =>
      router.get('/boom', () => {
        throw new Error('not an Aura error');
      }),
    );

    const response = await fetch(`${url}/boom`);

    expect(response.status).toBe(500);
    expect(await response.text()).toBe('Internal Server Error'); // Koa's own answer
    expect(logged).toEqual([expect.objectContaining({ message: 'not an Aura error' })]);
  });

  it('Aura unreachable: 502 with a code, no stack or secret; logged server-side', async () => {
    const gone = await startSandbox();
    const { appId, appSecret, apiKey } = gone.credentials;
    const unreachable = { baseUrl: gone.apiUrl, appId, appSecret, apiKey, timeoutMs: 2000 };
    await gone.close();
    const { url, logged } = await serve(
      (router) =>
        router.get('/uploads/config', requireAuraToken(), async (ctx) => {
          ctx.body = await ctx.state.aura.getUploaderConfig();
        }),
      unreachable,
    );

    const response = await fetch(`${url}/uploads/config`);

    expect(response.status).toBe(502);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: 'aura_unreachable', message: expect.any(String) },
    });
    expect(text).not.toMatch(/at .*\.ts|aura_sk_|aura_au_/);
    // requireAuraToken answered itself; the handler never ran.
    expect(logged).toEqual([]);
  });

  it('an Aura failure inside a handler reaches Koa’s error event for the operator', async () => {
    sandbox.fault({ path: '/uploader/config', status: 500 });
    const { url, logged } = await serve((router) =>
      router.get('/uploads/config', requireAuraToken(), async (ctx) => {
        ctx.body = await ctx.state.aura.getUploaderConfig();
      }),
    );

    const response = await fetch(`${url}/uploads/config`);

    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: { code: 'aura_error' } });
    expect(logged).toHaveLength(1);
    expect(isAuraError(logged[0], 'api')).toBe(true);
  });

  it('requireAuraToken lets the handler use a valid token', async () => {
    const { url } = await serve((router) =>
      router.get('/uploads/config', requireAuraToken(), async (ctx) => {
        ctx.body = await ctx.state.aura.getUploaderConfig();
      }),
    );

    const response = await fetch(`${url}/uploads/config`);

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ lift: { endpoint: sandbox.tusUrl } });
    expect(sandbox.requests().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /api/auth/exchange 200',
      'GET /api/uploader/config 200',
    ]);
  });

  it('requireAuraToken without auraMiddleware fails closed', async () => {
    const app = new Koa();
    app.silent = true;
    app.use(auraErrors());
    const router = new Router();
    let ran = false;
    router.get('/guarded', requireAuraToken(), (ctx) => {
      ran = true;
      ctx.body = 'reached';
    });
    app.use(router.routes());
    server = await listen(app);

    const response = await fetch(`${server.url}/guarded`);

    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: { code: 'aura_not_configured', message: expect.stringContaining('auraMiddleware()') },
    });
    expect(ran).toBe(false);
  });

  it('requireAuraToken({ client }) guards with a client of its own', async () => {
    const app = new Koa();
    const router = new Router();
    router.get('/guarded', requireAuraToken({ client: clientOptions() }), (ctx) => {
      ctx.body = 'reached';
    });
    app.use(router.routes());
    server = await listen(app);

    const response = await fetch(`${server.url}/guarded`);

    expect(await response.text()).toBe('reached');
    expect(sandbox.requests().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/auth/exchange',
    ]);
  });

  it('auraMiddleware fails at start-up, naming every missing variable', () => {
    let caught: unknown;
    try {
      auraMiddleware({ env: { AURA_BASE_URL: sandbox.apiUrl } });
    } catch (error) {
      caught = error;
    }
    expect(isAuraError(caught, 'configuration')).toBe(true);
    const { message } = caught as Error;
    for (const name of ['AURA_APP_ID', 'AURA_APP_SECRET', 'AURA_API_KEY']) {
      expect(message).toContain(name);
    }
  });

  it('the routes use the client auraMiddleware attached, however it was configured', async () => {
    const app = new Koa();
    app.use(auraMiddleware({ client: new AuraClient(clientOptions()) })); // no AURA_* env
    app.use(auraRouter({ prefix: '/api/aura', authorize: () => ({ id: 'user-1' }) }));
    server = await listen(app);

    const response = await post(`${server.url}/api/aura/upload-token`, {});

    expect(response.status).toBe(200);
    expect(Object.keys((await response.json()) as object).sort()).toEqual([
      'expires_at',
      'scopes',
      'token',
    ]);
  });
});
