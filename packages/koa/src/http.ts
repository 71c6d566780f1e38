import { type NeutralResponse, rawBodyUnavailable, readBodyLimited } from '@aura/core';
import type { ParameterizedContext } from 'koa';

/** Any Koa context, whatever its state and custom properties: these helpers use neither. */
export type AnyContext = ParameterizedContext<unknown, object, unknown>;

/** Writes the core's neutral answer the Koa way; Koa serialises the object body as JSON. */
export function send(ctx: AnyContext, response: NeutralResponse): void {
  ctx.status = response.status;
  ctx.set(response.headers);
  ctx.body = response.body;
}

export type RawBody =
  | { ok: true; bytes: Uint8Array | undefined }
  | { ok: false; response: NeutralResponse };

const RAW_BODY_FIX =
  "@aura/koa's middleware reads the request body itself: put it before any body parser, " +
  'or use @koa/bodyparser, which keeps the bytes in ctx.request.rawBody';

/**
 * The exact bytes of the request body, within `limit`:
 * 1. what a parser kept in `ctx.request.rawBody` when one ran first (`@koa/bodyparser` does);
 * 2. else the stream itself, when nothing has read it yet;
 * 3. else nothing, when the message carried no body;
 * 4. else `raw_body_unavailable`: a parser consumed the stream and kept no bytes, and a
 *    re-serialised body would never match the signature.
 */
export async function readRawBody(ctx: AnyContext, limit: number): Promise<RawBody> {
  const kept: unknown = (ctx.request as { rawBody?: unknown }).rawBody;
  // The verifier itself refuses kept bytes over its limit.
  if (typeof kept === 'string') return { ok: true, bytes: new TextEncoder().encode(kept) };
  if (kept instanceof Uint8Array) return { ok: true, bytes: kept };
  if (!ctx.req.readableDidRead) {
    // The stream is ours from here: tell a body parser placed later (@koa/bodyparser and
    // koa-bodyparser honour this flag) not to read it again, even when it was empty.
    (ctx as { disableBodyParser?: boolean }).disableBodyParser = true;
    return readBodyLimited(ctx.req, limit, ctx.req.headers['content-length']);
  }
  if (!hasBody(ctx)) return { ok: true, bytes: undefined };
  return { ok: false, response: rawBodyUnavailable(RAW_BODY_FIX) };
}

/** A message has a body when it says so (RFC 9112 §6.3): chunked, or a non-zero length. */
function hasBody(ctx: AnyContext): boolean {
  const length = ctx.req.headers['content-length'];
  return (
    ctx.req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}
