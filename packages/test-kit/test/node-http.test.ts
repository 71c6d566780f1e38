/**
 * The suite against a reference adapter on plain `node:http`, built straight on the core's
 * server layer: it checks the suite itself and runs the core layer against the real sandbox.
 * Framework adapters do the same translation in their own idiom.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuraClient,
  auraErrorResponse,
  createAuraRoutes,
  createInboundVerifier,
  ensureAuraToken,
  type NeutralResponse,
  rawBodyUnavailable,
  readBodyLimited,
  resolveAuraClient,
} from '@aura/core';
import { type Mount, PATHS, runAuraConformance, USER_HEADER } from '../src/index';

function send(res: http.ServerResponse, answer: NeutralResponse): void {
  res.writeHead(answer.status, { ...answer.headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(answer.body));
}

const mount: Mount = async (setup) => {
  // Start-up: everything that can be wrong fails here.
  const client: AuraClient = resolveAuraClient(setup.client);
  const routes = createAuraRoutes<http.IncomingMessage>({
    ...setup.routes,
    client,
    authorize: (req) => setup.userFrom(req.headersDistinct[USER_HEADER]),
  });
  const verifier = createInboundVerifier(setup.verify);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.find((r) => req.method === r.method && path === PATHS.routes + r.path);
    if (route !== undefined) {
      const read = await readBodyLimited(req, route.maxBodyBytes, req.headers['content-length']);
      if (!read.ok) return send(res, read.response);
      return send(res, await route.handle(req, { raw: read.bytes }));
    }
    if (req.method === 'POST' && path === PATHS.hook) {
      if (setup.variant === 'body-consumed') {
        // A global parser that ate the stream and kept nothing.
        for await (const _ of req);
        return send(res, rawBodyUnavailable('Keep the raw bytes for the verifier.'));
      }
      const read = await readBodyLimited(req, verifier.maxBodyBytes, req.headers['content-length']);
      if (!read.ok) return send(res, read.response);
      const result = await verifier.verify(
        { method: req.method, url: req.url, headers: req.headersDistinct },
        read.bytes.length === 0 ? undefined : read.bytes,
      );
      if (!result.ok) return send(res, result.response);
      return send(res, {
        status: 200,
        headers: {},
        body: { from: result.caller.appId, got: result.body },
      });
    }
    if (req.method === 'GET' && path === PATHS.config) {
      const refused = await ensureAuraToken(client);
      if (refused !== undefined) return send(res, refused);
      return send(res, { status: 200, headers: {}, body: await client.getUploaderConfig() });
    }
    send(res, {
      status: 404,
      headers: {},
      body: { error: { code: 'not_found', message: 'no route' } },
    });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // The app's own error handler: Aura errors mapped, anything else a bare 500.
      send(
        res,
        auraErrorResponse(error) ?? {
          status: 500,
          headers: {},
          body: { error: { code: 'internal', message: 'internal error' } },
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};

runAuraConformance({ name: 'node:http reference', mount });
