/** The Hono middlewares of docs/ARCHITECTURE.md's adapter table; each only translates to the core. */
import {
  auraErrorResponse,
  createInboundVerifier,
  ensureAuraToken,
  errorResponse,
  type InboundVerifierOptions,
} from '@aura/core';
import type { ErrorHandler, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import {
  type AuraClientSourceOptions,
  clientResolver,
  neutralRequest,
  readRawBody,
  send,
} from './request';
import type { AuraVariables } from './types';

export type AuraMiddlewareOptions = AuraClientSourceOptions;
// What each middleware declares (Hono's typed env), spelled for every Hono 4 release's typings.
type AttachesAura = { Variables: Pick<AuraVariables, 'aura'> };
type AttachesCaller = { Variables: Pick<AuraVariables, 'auraCaller'> };

/** `app.use('*', auraMiddleware())` → `c.var.aura`, one client per app (per bindings on Workers). */
export function auraMiddleware(
  options: AuraMiddlewareOptions = {},
): MiddlewareHandler<AttachesAura> {
  const clientFor = clientResolver(options);
  return createMiddleware<AttachesAura>(async (c, next) => {
    c.set('aura', clientFor(c));
    await next();
  });
}

const NOT_ATTACHED = errorResponse(
  500,
  'aura_not_configured',
  'requireAuraToken() needs auraMiddleware() first',
);

/** A valid Aura token before the handler runs (Aura's refusal answered as JSON), else no call. */
export function requireAuraToken(): MiddlewareHandler<AttachesAura> {
  return createMiddleware<AttachesAura>(async (c, next) => {
    const client = c.get('aura');
    // Fail closed: without the client there is no token to check.
    if (client === undefined) return send(c, NOT_ATTACHED);
    // A warm cache answers at once (`undefined`, not a promise): nothing to wait for but `next()`.
    const refused = ensureAuraToken(client);
    const answer = refused === undefined ? undefined : await refused;
    if (answer !== undefined) return send(c, answer);
    // Awaited, not returned: Hono's `next()` resolves to its context, not to this middleware's answer.
    await next();
  });
}

export type VerifyAuraSignatureOptions = InboundVerifierOptions;

/**
 * Verifies a signed inbound call on its raw bytes (read first, within `maxBodyBytes`), then
 * exposes `c.var.auraCaller`; the handler reads the same bytes with `await c.req.json()`.
 */
export function verifyAuraSignature(
  options: VerifyAuraSignatureOptions,
): MiddlewareHandler<AttachesCaller> {
  const verifier = createInboundVerifier(options);
  return createMiddleware<AttachesCaller>(async (c, next) => {
    const body = await readRawBody(c, verifier.maxBodyBytes);
    if (!body.ok) return send(c, body.response);
    const result = await verifier.verify(neutralRequest(c), body.bytes);
    if (!result.ok) return send(c, result.response);
    c.set('auraCaller', result.caller);
    await next();
  });
}

/**
 * `app.onError(auraErrorHandler)`: an Aura error answers its status and `{ error: { code,
 * message } }`; anything else gets Hono's own default answer (an `HTTPException`'s response,
 * else a logged 500), so adding it changes nothing for the app's other errors.
 */
export const auraErrorHandler: ErrorHandler = (error, c) => {
  const mapped = auraErrorResponse(error);
  if (mapped !== undefined) return send(c, mapped);
  if ('getResponse' in error) {
    const response = error.getResponse();
    return c.newResponse(response.body, response);
  }
  console.error(error);
  return c.text('Internal Server Error', 500);
};
