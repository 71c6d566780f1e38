/**
 * `auraRoutes`: the core's routes (upload-token, submit, withdraw, exchange) as an encapsulated
 * plugin, so `prefix` applies and its body parsing stays inside it. Each route answers the
 * core's response itself, errors included: an error handler the app sets after `register`
 * would never reach these routes.
 */

import type { IncomingMessage } from 'node:http';
import { type AuraRoutesOptions, createAuraRoutes, readBodyLimited } from '@aura/core';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { send } from './reply';
import type { AuraAuthorizeRequest } from './types';

export type AuraRoutesPluginOptions = AuraRoutesOptions<AuraAuthorizeRequest>;

type Read = Awaited<ReturnType<typeof readBodyLimited>>;

export const auraRoutes: FastifyPluginAsync<AuraRoutesPluginOptions> = async (app, options) => {
  // The plugin's client when it is registered, so the routes share its token cache.
  const client = options.client ?? (app.hasDecorator('aura') ? app.aura : undefined);
  const routes = createAuraRoutes<AuraAuthorizeRequest>({ ...options, client });
  // Bytes, whatever their type, up to the route's limit: the core parses the JSON and answers
  // its own 400 or 413. Only this plugin's context is affected.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request: FastifyRequest, payload: IncomingMessage) =>
    readBodyLimited(payload, request.routeOptions.bodyLimit, request.headers['content-length']),
  );
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.path,
      bodyLimit: route.maxBodyBytes,
      handler: async (request, reply) => {
        const read = request.body as Read | undefined;
        // Fastify's own rule: a body left unread closes the connection, the client may send more.
        if (read?.ok === false) return send(reply.header('connection', 'close'), read.response);
        return send(reply, await route.handle(request, { raw: read?.bytes }));
      },
    });
  }
};
