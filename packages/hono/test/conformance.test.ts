// The adapters' conformance suite (packages/test-kit) on Node through @hono/node-server, the app
// built from the package's public API in the shape of the README block.
import { type Mount, PATHS, runAuraConformance, USER_HEADER } from '@aura/test-kit';
import { Hono } from 'hono';
import {
  auraErrorHandler,
  auraMiddleware,
  auraRoutes,
  requireAuraToken,
  verifyAuraSignature,
} from '../src/index';
import { listen } from './support/node-server';

const mount: Mount = async (setup) => {
  const app = new Hono();
  if (setup.variant === 'body-consumed') {
    // A global JSON body parser, as a validator is: it keeps the parsed value, not the bytes.
    app.use('*', async (c, next) => {
      if (c.req.method === 'POST') await c.req.json().catch(() => undefined);
      await next();
    });
  }
  app.use('*', auraMiddleware(setup.client === undefined ? {} : { client: setup.client }));
  app.route(
    PATHS.routes,
    auraRoutes({ ...setup.routes, authorize: (c) => setup.userFrom(c.req.header(USER_HEADER)) }),
  );
  app.post(PATHS.hook, verifyAuraSignature(setup.verify), async (c) =>
    c.json({ from: c.var.auraCaller.appId, got: await c.req.json() }),
  );
  app.get(PATHS.config, requireAuraToken(), async (c) =>
    c.json(await c.var.aura.getUploaderConfig()),
  );
  app.onError(auraErrorHandler);
  return listen(app.fetch);
};

runAuraConformance({ name: 'hono on @hono/node-server', mount });
