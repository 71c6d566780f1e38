// Koa's ordering idiom: the verifier reads ctx.req itself, so it works with @koa/bodyparser
// placed before it (it then uses the bytes the parser kept in ctx.request.rawBody) or after it
// (the parser then finds the body already set and leaves it alone). A parser that consumes the
// stream and keeps nothing makes it answer raw_body_unavailable, never a signature mismatch.
import { request } from 'node:http';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyAuraSignature } from '../src/index';
import { CALLER, KOA_MAJORS, type Listening, listen, parseAndForget, signedPost } from './support';

const secrets = { [CALLER.appId]: CALLER.appSecret };
// Unusual spacing: only the received bytes can verify it, never a re-serialised body.
const SPACED = '{ "event" :"upload.submitted",\n  "ids": [1,  2] }';

let server: Listening | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function echo(ctx: Koa.Context) {
  ctx.body = { from: ctx.state.auraCaller.appId, got: ctx.request.body };
}

describe.each(KOA_MAJORS)('%s with @koa/bodyparser', (_, Koa) => {
  async function serve(...middleware: Koa.Middleware[]) {
    const app = new Koa();
    app.silent = true;
    const router = new Router();
    router.post('/hooks/aura', ...middleware, echo);
    app.use(router.routes());
    server = await listen(app);
    return `${server.url}/hooks/aura`;
  }

  it('before the verifier: verifies the bytes it kept and answers the JSON parsed from them', async () => {
    const app = new Koa();
    app.use(bodyParser());
    const router = new Router();
    router.post('/hooks/aura', verifyAuraSignature({ secrets }), echo);
    app.use(router.routes());
    server = await listen(app);

    const response = await signedPost(`${server.url}/hooks/aura`, SPACED);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      from: CALLER.appId,
      got: { event: 'upload.submitted', ids: [1, 2] },
    });
  });

  it('before the verifier: one changed byte in what it kept is still refused', async () => {
    const app = new Koa();
    app.use(bodyParser());
    // The parser kept the bytes; something alters them before the verifier looks.
    app.use(async (ctx, next) => {
      ctx.request.rawBody = ctx.request.rawBody.replace('1', '3');
      await next();
    });
    const router = new Router();
    router.post('/hooks/aura', verifyAuraSignature({ secrets }), echo);
    app.use(router.routes());
    server = await listen(app);

    const response = await signedPost(`${server.url}/hooks/aura`, SPACED);

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: expect.any(String) } });
  });

  it('after the verifier: the verifier reads the stream, the parser leaves the body alone', async () => {
    const url = await serve(verifyAuraSignature({ secrets }), bodyParser());

    const response = await signedPost(url, SPACED);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      from: CALLER.appId,
      got: { event: 'upload.submitted', ids: [1, 2] },
    });
  });

  it('after the verifier: an empty JSON body passes both', async () => {
    const url = await serve(verifyAuraSignature({ secrets }), bodyParser());

    const response = await signedPost(url, '');

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ from: CALLER.appId });
  });

  it('before the verifier, for a type it does not parse: the verifier still reads the stream', async () => {
    const app = new Koa();
    app.use(bodyParser());
    const router = new Router();
    router.post('/hooks/aura', verifyAuraSignature({ secrets }), (ctx) => {
      const bytes = ctx.request.body as Uint8Array;
      ctx.body = { from: ctx.state.auraCaller.appId, text: new TextDecoder().decode(bytes) };
    });
    app.use(router.routes());
    server = await listen(app);

    const response = await signedPost(`${server.url}/hooks/aura`, 'raw,bytes', {
      'content-type': 'application/octet-stream',
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ from: CALLER.appId, text: 'raw,bytes' });
  });

  it('after a parser that consumed the stream and kept no bytes: raw_body_unavailable', async () => {
    const url = await serve(parseAndForget, verifyAuraSignature({ secrets }));

    const response = await signedPost(url, SPACED);

    expect(response.status).toBe(500);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('raw_body_unavailable');
    expect(error.message).toContain('@koa/bodyparser');
  });

  it('over the limit, whatever the order: 413', async () => {
    const url = await serve(bodyParser(), verifyAuraSignature({ secrets, maxBodyBytes: 64 }));

    const response = await signedPost(url, JSON.stringify({ pad: 'x'.repeat(100) }));

    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'body_too_large' } });
  });

  it('over the limit without a declared length (chunked): 413, not a reset connection', async () => {
    const url = await serve(verifyAuraSignature({ secrets, maxBodyBytes: 1024 }));

    // A sender that keeps streaming: the answer must come without reading the whole body.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
      const chunk = 'x'.repeat(512);
      for (let i = 0; i < 8; i++) req.write(chunk);
    });

    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'body_too_large' } });
  });
});
