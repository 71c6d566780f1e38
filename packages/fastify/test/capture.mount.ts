/**
 * The capture suite's app on Fastify (the contract in @aura/test-kit's capture-mount.ts): the
 * `auraCapture()` plugin first, then the routes. Also bundled into the memory scenario's child
 * process, so it imports from @aura/test-kit only the mount contract.
 */
import type { AddressInfo } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { CAPTURE_PATHS, type CaptureMount, ECHO_COOKIE, STREAM_CHUNKS } from '@aura/test-kit';
import Fastify from 'fastify';
import { auraCapture, auraPlugin, verifyAuraSignature } from '../src/index';

export const captureMount: CaptureMount = async (setup) => {
  const capture = auraCapture(setup.capture);
  const app = Fastify();
  await app.register(capture);
  // The verifier's plugin; these routes never call Aura, so the client is never used.
  await app.register(auraPlugin, {
    client: {
      baseUrl: 'http://127.0.0.1:9/api',
      appId: 'capture-suite',
      appSecret: 'capture-suite-secret-0123456789',
      apiKey: 'capture-suite-api-key',
    },
  });

  await app.register(
    async (v1) => {
      v1.get<{ Params: { thingId: string } }>('/things/:thingId', async (request) => ({
        thingId: request.params.thingId,
      }));
    },
    { prefix: '/v1' },
  );
  app.post(CAPTURE_PATHS.echo, async (request, reply) => {
    reply.header('set-cookie', ECHO_COOKIE);
    return request.body;
  });
  app.get(CAPTURE_PATHS.stream, (_request, reply) => {
    const stream = new PassThrough();
    let at = 0;
    const next = () => {
      if (at === STREAM_CHUNKS.length) return void stream.end();
      stream.write(STREAM_CHUNKS[at++]);
      setTimeout(next, 5);
    };
    next();
    return reply.type('text/plain').send(stream);
  });
  await app.register(async (uploads) => {
    // Any body, as a stream: nothing parsed, nothing kept.
    uploads.removeAllContentTypeParsers();
    uploads.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    uploads.post(CAPTURE_PATHS.upload, async (request) => {
      let bytes = 0;
      for await (const chunk of request.body as Readable) bytes += (chunk as Buffer).length;
      return { bytes };
    });
  });
  app.post(
    CAPTURE_PATHS.hook,
    { preHandler: verifyAuraSignature(setup.verify) },
    async (request) => ({
      from: request.auraCaller.appId,
      got: request.body,
    }),
  );

  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    capture,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
};
