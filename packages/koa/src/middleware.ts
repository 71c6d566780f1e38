import {
  type AuraClientSource,
  type AuraEnv,
  auraErrorResponse,
  createInboundVerifier,
  ensureAuraToken,
  errorResponse,
  headersFromNode,
  type InboundVerifierOptions,
  resolveAuraClient,
} from '@aura/core';
import type { Middleware } from 'koa';
import { readRawBody, send } from './http';

export interface AuraMiddlewareOptions {
  /** An `AuraClient`, or the options to build one; by default `AuraClient.fromEnv()`. */
  client?: AuraClientSource;
  /** Where `fromEnv` reads the `AURA_*` variables; `process.env` by default. */
  env?: AuraEnv;
}

/** Answers an Aura error thrown downstream as `{ error: { code, message } }` with its status;
 *  anything else goes on to the app's own error handling. */
export function auraErrors(): Middleware {
  return async function auraErrors(ctx, next) {
    try {
      await next();
    } catch (error) {
      const response = auraErrorResponse(error);
      if (response === undefined || ctx.headerSent) throw error;
      send(ctx, response);
      // Aura failing (unreachable, timing out) is the operator's to see: Koa's 'error' event
      // logs it server-side while the client gets only the code and message.
      if (response.status >= 500) ctx.app.emit('error', error, ctx);
    }
  };
}

/** Attaches one client to every request as `ctx.state.aura`. The client is resolved here, at
 *  start-up, so a missing `AURA_*` variable fails the boot, not the first request. */
export function auraMiddleware(options: AuraMiddlewareOptions = {}): Middleware {
  const client = resolveAuraClient(options.client, options.env);
  // Not `async`: it only sets a field, and hands Koa `next()`'s own promise back.
  return function auraMiddleware(ctx, next) {
    ctx.state.aura = client;
    return next();
  };
}

/** Makes sure the client (`ctx.state.aura`, or `options.client`) holds a valid access token
 *  before the handler runs; otherwise answers Aura's refusal or unavailability. */
export function requireAuraToken(options: { client?: AuraClientSource } = {}): Middleware {
  const given = options.client === undefined ? undefined : resolveAuraClient(options.client);
  return function requireAuraToken(ctx, next) {
    // Typed as always there, but only auraMiddleware() puts it there: fail closed without it.
    const client = given ?? (ctx.state.aura as typeof ctx.state.aura | undefined);
    if (client === undefined) {
      const message = 'mount auraMiddleware() before requireAuraToken()';
      return send(ctx, errorResponse(500, 'aura_not_configured', message));
    }
    const refusal = ensureAuraToken(client);
    // A warm cache answers at once: straight on to `next()`, no promise of this guard's own.
    if (refusal === undefined) return next();
    return Promise.resolve(refusal).then((answer) =>
      answer === undefined ? next() : send(ctx, answer),
    );
  };
}

export type VerifyAuraSignatureOptions = InboundVerifierOptions;

/**
 * Lets through only calls signed by one of `secrets`' apps. It reads the body bytes itself
 * (or takes those `@koa/bodyparser` kept), verifies them, then sets `ctx.request.body` to the
 * JSON parsed from those same bytes and `ctx.state.auraCaller` to `{ appId }`.
 */
export function verifyAuraSignature(options: VerifyAuraSignatureOptions): Middleware {
  const verifier = createInboundVerifier(options);
  return async function verifyAuraSignature(ctx, next) {
    const raw = await readRawBody(ctx, verifier.maxBodyBytes);
    if (!raw.ok) return send(ctx, raw.response);
    // originalUrl: the raw target as received, which middleware rewriting ctx.url (koa-mount)
    // leaves alone; the signature covers what the caller sent.
    // Every field as received, a duplicate Authorization/Host kept: the verifier must refuse it.
    const request = { method: ctx.method, url: ctx.originalUrl, headers: headersFromNode(ctx.req) };
    const result = await verifier.verify(request, raw.bytes);
    if (!result.ok) return send(ctx, result.response);
    ctx.state.auraCaller = result.caller;
    ctx.request.body = result.body;
    await next();
  };
}
