/**
 * The capture suite's app on Hono through @hono/node-server (the contract in @aura/test-kit's
 * capture-mount.ts): `auraCapture()` first, then the routes. Also bundled into the memory
 * scenario's child process, so it imports from @aura/test-kit only the mount contract.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CAPTURE_PATHS, type CaptureMount, ECHO_COOKIE, STREAM_CHUNKS } from '@aura/test-kit';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type AuraEnv, auraCapture, verifyAuraSignature } from '../src/index';

/** The app itself, also served without Node (`app.request`) by the web-path tests. */
export function captureApp(setup: Parameters<CaptureMount>[0]) {
  const capture = auraCapture(setup.capture);
  const app = new Hono<AuraEnv>();
  app.use('*', capture);

  const v1 = new Hono();
  v1.get('/things/:thingId', (c) => c.json({ thingId: c.req.param('thingId') }));
  app.route('/v1', v1);
  app.post(CAPTURE_PATHS.echo, async (c) => {
    c.header('set-cookie', ECHO_COOKIE);
    return c.json(await c.req.json());
  });
  app.get(CAPTURE_PATHS.stream, (c) => {
    let at = 0;
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (at === STREAM_CHUNKS.length) return controller.close();
        if (at > 0) await new Promise((resolve) => setTimeout(resolve, 5));
        controller.enqueue(encoder.encode(STREAM_CHUNKS[at++]));
      },
    });
    return c.body(body, 200, { 'content-type': 'text/plain' });
  });
  app.post(CAPTURE_PATHS.upload, async (c) => {
    let bytes = 0;
    if (c.req.raw.body !== null)
      for await (const chunk of c.req.raw.body) bytes += chunk.byteLength;
    return c.json({ bytes });
  });
  app.post(CAPTURE_PATHS.hook, verifyAuraSignature(setup.verify), async (c) =>
    c.json({ from: c.var.auraCaller.appId, got: await c.req.json() }),
  );
  return { app, capture };
}

export const captureMount: CaptureMount = async (setup) => {
  const { app, capture } = captureApp(setup);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    capture,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
