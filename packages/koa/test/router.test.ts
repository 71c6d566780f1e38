// auraRouter() as Koa middleware: its prefix, what it leaves to the rest of the app, and the
// body either way (parsed by @koa/bodyparser placed before it, or read by the routes).
import { randomUUID } from 'node:crypto';
import { AuraClient, isAuraError } from '@aura/core';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import { bodyParser } from '@koa/bodyparser';
import type Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auraMiddleware, auraRouter } from '../src/index';
import { KOA_MAJORS, type Listening, listen, post } from './support';

let sandbox: Sandbox;
let client: AuraClient;
let server: Listening | undefined;
beforeAll(async () => {
  sandbox = await startSandbox();
  const { appId, appSecret, apiKey } = sandbox.credentials;
  client = new AuraClient({ baseUrl: sandbox.apiUrl, appId, appSecret, apiKey });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(() => sandbox.close());

const signedIn = () => ({ id: 'user-1' });

/** An upload taken through init → start → complete, ready to submit. */
async function completedUpload(): Promise<string> {
  const uploadId = randomUUID();
  await client.initUpload({ uploadId, studies: { '1.2.3': { patient_name: 'Test^Patient' } } });
  await client.startUpload({ uploadId, assemblyId: 'assembly-1' });
  await client.completeUpload({ uploadId, assemblyId: 'assembly-1' });
  return uploadId;
}

describe.each(KOA_MAJORS)('%s', (_, Koa) => {
  async function serve(...middleware: Koa.Middleware[]) {
    const app = new Koa();
    app.silent = true;
    app.use(auraMiddleware({ client }));
    for (const fn of middleware) app.use(fn);
    server = await listen(app);
    return server.url;
  }

  it('serves under the prefix, a trailing slash in it or not', async () => {
    const url = await serve(auraRouter({ prefix: '/api/aura/', authorize: signedIn }));

    const response = await post(`${url}/api/aura/upload-token`, {});

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      token: expect.stringMatching(/^aubt_/),
      expires_at: expect.any(String),
      scopes: expect.any(Array),
    });
  });

  it('passes every other method and path on to the app', async () => {
    const url = await serve(
      auraRouter({ prefix: '/api/aura', authorize: signedIn }),
      async (ctx) => {
        ctx.body = { reached: `${ctx.method} ${ctx.path}` };
      },
    );

    for (const [method, path] of [
      ['GET', '/api/aura/upload-token'],
      ['POST', '/api/aura/unknown'],
      ['POST', '/upload-token'],
      ['POST', '/api/aura/exchange'], // not exposed unless asked for
    ] as const) {
      const response = await fetch(`${url}${path}`, { method });
      expect(await response.json()).toEqual({ reached: `${method} ${path}` });
    }
  });

  it('refuses at start-up a prefix that is not a path', () => {
    let caught: unknown;
    try {
      auraRouter({ prefix: 'api/aura', authorize: signedIn });
    } catch (error) {
      caught = error;
    }
    expect(isAuraError(caught, 'configuration')).toBe(true);
  });

  it('submits with the body read by the routes themselves', async () => {
    const url = await serve(auraRouter({ authorize: signedIn }));
    const uploadId = await completedUpload();

    const response = await post(`${url}/submit`, { upload_id: uploadId, metadata: { a: 1 } });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ upload_id: uploadId, status: 'submitted' });
  });

  it('submits with the body @koa/bodyparser parsed before them', async () => {
    const url = await serve(bodyParser(), auraRouter({ authorize: signedIn }));
    const uploadId = await completedUpload();

    const response = await post(`${url}/submit`, { upload_id: uploadId });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ upload_id: uploadId, status: 'submitted' });
  });

  it('answers bad JSON and a missing upload_id with 400, either way', async () => {
    const own = await serve(auraRouter({ authorize: signedIn }));
    const bad = await post(`${own}/withdraw`, '{"upload_id": ');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_json' } });
    await server?.close();

    const parsed = await serve(bodyParser(), auraRouter({ authorize: signedIn }));
    const missing = await post(`${parsed}/withdraw`, { reason: 'duplicate' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      error: { code: 'invalid_request', message: expect.stringContaining('upload_id') },
    });
  });
});
