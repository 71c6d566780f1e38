// The adapters' conformance suite (packages/test-kit), run on a real Fastify 5 server built from
// the package's public API in the shape of the README block.
import { Readable } from 'node:stream';
import { type Mount, PATHS, runAuraConformance, USER_HEADER } from '@aura/test-kit';
import Fastify from 'fastify';
import {
  auraErrorHandler,
  auraPlugin,
  auraRoutes,
  requireAuraToken,
  verifyAuraSignature,
} from '../src/index';

const mount: Mount = async (setup) => {
  // forceCloseConnections: close() also ends the suite's keep-alive sockets.
  const app = Fastify({ forceCloseConnections: true });
  try {
    if (setup.variant === 'body-consumed') {
      // A global body reader installed first, which drains the stream and keeps no bytes.
      app.addHook('preParsing', async (_request, _reply, payload) => {
        for await (const _ of payload);
        return Readable.from([]);
      });
    }
    await app.register(auraPlugin, setup.client === undefined ? {} : { client: setup.client });
    await app.register(auraRoutes, {
      ...setup.routes,
      prefix: PATHS.routes,
      authorize: (request) => setup.userFrom(request.headers[USER_HEADER]),
    });
    app.post(PATHS.hook, { preHandler: verifyAuraSignature(setup.verify) }, async (request) => ({
      from: request.auraCaller.appId,
      got: request.body,
    }));
    app.get(PATHS.config, { preHandler: requireAuraToken() }, (request) =>
      request.aura.getUploaderConfig(),
    );
    app.setErrorHandler(auraErrorHandler);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    return { url, close: () => app.close() };
  } catch (error) {
    await app.close();
    throw error;
  }
};

runAuraConformance({ name: 'fastify 5', mount });
