/**
 * Translation between Hono's context and the core's neutral request and response: the only
 * place that knows where Hono keeps the method, the raw target, the headers and the body.
 */
import {
  type AuraClient,
  type AuraClientSource,
  type AuraEnv as AuraEnvRecord,
  auraConfigFromEnv,
  headersFromWeb,
  type NeutralRequest,
  type NeutralResponse,
  rawBodyUnavailable,
  readBodyLimited,
  resolveAuraClient,
} from '@aura/core';
import type { Context } from 'hono';
import { getRuntimeKey } from 'hono/adapter';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { JSONValue } from 'hono/utils/types';

/** Which client the middleware and the routes use. */
export interface AuraClientSourceOptions {
  /** A client, or options for one. Default: the `AURA_*` environment. */
  client?: AuraClientSource;
  /**
   * Where to read the `AURA_*` variables per request, one client per object it returns.
   * Default on workerd: `(c) => c.env` (the Worker's bindings); elsewhere the process
   * environment is read once, when the app is assembled, so a missing variable fails at start-up.
   */
  env?: (c: Context) => AuraEnvRecord | undefined;
}

/** The client per request when it comes from a per-request environment (Workers), else undefined. */
export function bindingsClient({ client, env }: AuraClientSourceOptions) {
  if (client !== undefined) return undefined;
  const envOf = env ?? (getRuntimeKey() === 'workerd' ? (c: Context) => c.env : undefined);
  if (envOf === undefined) return undefined;
  const clients = new WeakMap<object, AuraClient>();
  return (c: Context): AuraClient => {
    const vars = envOf(c) ?? {};
    let found = clients.get(vars);
    if (found === undefined) {
      // Workers' fetch throws "Illegal invocation" when called as a method of another object,
      // which the core's client does with its default `globalThis.fetch`: hand it a plain call.
      const fetch: typeof globalThis.fetch = (input, init) => globalThis.fetch(input, init);
      found = resolveAuraClient({ ...auraConfigFromEnv(vars), fetch });
      clients.set(vars, found);
    }
    return found;
  };
}

/** `(c) => client`: from the bindings on Workers, else resolved now (a bad config fails at start-up). */
export function clientResolver(options: AuraClientSourceOptions): (c: Context) => AuraClient {
  const fromBindings = bindingsClient(options);
  if (fromBindings !== undefined) return fromBindings;
  const client = resolveAuraClient(options.client);
  return () => client;
}

/**
 * Method, raw target and headers. On Node (`@hono/node-server`), the incoming request's own: a
 * Web `Headers` joins a repeated `Authorization` into one value and the URL parser rewrites the
 * path, while the verifier must see both exactly as they arrived.
 */
export function neutralRequest(c: Context): NeutralRequest {
  const incoming = (c.env as { incoming?: Partial<NeutralRequest> & { headersDistinct?: object } })
    ?.incoming;
  if (typeof incoming?.headersDistinct === 'object') {
    const { method, url, headersDistinct } = incoming;
    return { method, url, headers: headersDistinct as NeutralRequest['headers'] };
  }
  const { pathname, search } = new URL(c.req.url);
  return {
    method: c.req.method,
    url: pathname + search,
    headers: headersFromWeb(c.req.raw.headers),
  };
}

/** The core's answer as a Hono response. */
export function send(c: Context, { status, headers, body }: NeutralResponse): Response {
  return c.json(body as JSONValue, status as ContentfulStatusCode, headers);
}

const RAW_BODY_FIX =
  'register verifyAuraSignature() before any middleware that reads the body as JSON, text or ' +
  'form data (e.g. a validator), or have that middleware read it with c.req.arrayBuffer()';

/**
 * The raw body bytes, at most `limit` of them (413 past it, without buffering more), then put
 * back as the request's body (as Hono's own `bodyLimit` does), so that the handler's
 * `await c.req.json()` reads these same bytes. Bytes an earlier middleware read with
 * `c.req.arrayBuffer()` are used as they are; a body read only as JSON, text or form data is gone
 * (`raw_body_unavailable`).
 */
export async function readRawBody(
  c: Context,
  limit: number,
): Promise<{ ok: true; bytes: Uint8Array | undefined } | { ok: false; response: NeutralResponse }> {
  // Hono keeps what a body reader already read here, a promise (or, in early 4.x, a value) per
  // reader; its type says otherwise.
  const cache = c.req.bodyCache as { arrayBuffer?: ArrayBuffer | Promise<ArrayBuffer> };
  const { raw } = c.req;
  if (cache.arrayBuffer !== undefined) {
    return readBodyLimited(new Response(await cache.arrayBuffer).body!, limit);
  }
  if (raw.bodyUsed || Object.keys(cache).length > 0) {
    return { ok: false, response: rawBodyUnavailable(RAW_BODY_FIX) };
  }
  if (raw.body === null) return { ok: true, bytes: undefined };
  const read = await readBodyLimited(raw.body, limit, c.req.header('content-length'));
  if (read.ok) c.req.raw = new Request(raw, { body: read.bytes });
  return read;
}
