import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Mount, type Mounted, PATHS, USER_HEADER } from '@aura/test-kit';
import express, { type Express } from 'express';
import {
  auraErrorHandler,
  auraMiddleware,
  auraRouter,
  requireAuraToken,
  verifyAuraSignature,
} from '../../src/index';

/** Which Express is loaded here (the Express 4 tests mock `express` with `express4`). */
export function expressMajor(): 4 | 5 {
  // `express.query` was removed in Express 5.
  return typeof (express as unknown as { query?: unknown }).query === 'function' ? 4 : 5;
}

/** Listens on 127.0.0.1, port 0. */
export async function listen(app: Express): Promise<Mounted> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The conformance suite's app: the README block, with the suite's options. */
export const mount: Mount = async (setup) => {
  const app = express();
  if (setup.variant === 'body-consumed') app.use(express.json());
  app.use(auraMiddleware(setup.client === undefined ? {} : { client: setup.client }));
  app.use(
    PATHS.routes,
    auraRouter({
      ...setup.routes,
      authorize: (req) => setup.userFrom(req.headersDistinct[USER_HEADER]),
    }),
  );
  app.post(PATHS.hook, verifyAuraSignature(setup.verify), (req, res) => {
    res.json({ from: req.auraCaller?.appId, got: req.body });
  });
  // `.catch(next)`: Express 4 does not pass a rejected handler's error on by itself.
  app.get(PATHS.config, requireAuraToken(), (req, res, next) => {
    req.aura
      .getUploaderConfig()
      .then((config) => res.json(config))
      .catch(next);
  });
  app.use(auraErrorHandler());
  return listen(app);
};
