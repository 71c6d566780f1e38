/** `requireAuraToken()` and the opt-in `auraErrorHandler`: the core's answers, written by Fastify. */
import { auraErrorResponse, ensureAuraToken, errorResponse } from '@aura/core';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { send } from './reply';

/** A preHandler that makes sure the app holds a valid Aura token before the handler runs. */
export function requireAuraToken(): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    // Fail closed: without the plugin there is no client to hold a token.
    if (!request.aura) {
      const fix = 'requireAuraToken() needs the plugin: await app.register(auraPlugin)';
      return send(reply, errorResponse(500, 'configuration', fix));
    }
    const refused = await ensureAuraToken(request.aura);
    if (refused !== undefined) return send(reply, refused);
  };
}

/**
 * For `app.setErrorHandler(auraErrorHandler)`: an Aura error answers its status and
 * `{ error: { code, message } }`; anything else is rethrown, which hands it to Fastify's own
 * (parent) error handler unchanged.
 */
export function auraErrorHandler(
  error: Error,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const response = auraErrorResponse(error);
  if (response === undefined) throw error;
  send(reply, response);
}
