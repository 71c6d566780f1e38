/**
 * The capture suite's app on Koa (the contract in @aura/test-kit's capture-mount.ts):
 * `auraCapture()` first, then `@koa/router` routes. Also bundled into the memory scenario's
 * child process, so it imports from @aura/test-kit only the mount contract.
 */
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { CAPTURE_PATHS, type CaptureMount, ECHO_COOKIE, STREAM_CHUNKS } from '@aura/test-kit';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { auraCapture, verifyAuraSignature } from '../src/index';

export const captureMount: CaptureMount = async (setup) => {
  const capture = auraCapture(setup.capture);
  const app = new Koa();
  app.use(capture);

  const v1 = new Router({ prefix: '/v1' });
  v1.get('/things/:thingId', (ctx) => {
    ctx.body = { thingId: ctx.params.thingId };
  });
  const router = new Router();
  router.post(CAPTURE_PATHS.echo, bodyParser(), (ctx) => {
    ctx.set('set-cookie', ECHO_COOKIE);
    ctx.body = ctx.request.body;
  });
  router.get(CAPTURE_PATHS.stream, (ctx) => {
    const stream = new PassThrough();
    ctx.type = 'text/plain';
    ctx.body = stream;
    let at = 0;
    const next = () => {
      if (at === STREAM_CHUNKS.length) return void stream.end();
      stream.write(STREAM_CHUNKS[at++]);
      setTimeout(next, 5);
    };
    next();
  });
  router.post(CAPTURE_PATHS.upload, async (ctx) => {
    let bytes = 0;
    for await (const chunk of ctx.req) bytes += (chunk as Buffer).length;
    ctx.body = { bytes };
  });
  router.post(CAPTURE_PATHS.hook, verifyAuraSignature(setup.verify), (ctx) => {
    ctx.body = { from: ctx.state.auraCaller.appId, got: ctx.request.body };
  });
  app.use(v1.routes());
  app.use(router.routes());

  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    capture,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};
