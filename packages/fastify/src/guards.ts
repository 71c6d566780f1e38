/** `requireAuraToken()` and the opt-in `auraErrorHandler`: the core's answers, written by Fastify. */
import { auraErrorResponse, ensureAuraToken, errorResponse } from '@aura/core';
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { send } from './reply';

/**
 * A preHandler that makes sure the app holds a valid Aura token before the handler runs. In
 * Fastify's callback style, not `async`: on a warm cache the core answers at once and `done()`
 * runs in the same turn, so the guard adds no promise to the request.
 */
export function requireAuraToken(): preHandlerHookHandler {
  return (request, reply, done) => {
    // Fail closed: without the plugin there is no client to hold a token.
    if (!request.aura) {
      const fix = 'requireAuraToken() needs the plugin: await app.register(auraPlugin)';
      send(reply, errorResponse(500, 'configuration', fix));
      return;
    }
    const refused = ensureAuraToken(request.aura);
    if (refused === undefined) return done();
    // Having answered, the hook does not call `done()`: Fastify stops at the sent reply.
    Promise.resolve(refused).then(
      (answer) => (answer === undefined ? done() : send(reply, answer)),
      (error: unknown) => done(error as Error),
    );
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
