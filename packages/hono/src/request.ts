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
   * Where to read the `AURA_*` variables per request, one client per environment object.
   * Default on workerd: `(c) => c.env` (the Worker's bindings); elsewhere the process
   * environment is read once, when the app is assembled, so a missing variable fails at start-up.
   */
  env?: (c: Context) => AuraEnvRecord | undefined;
}

const workerBindings = (c: Context): AuraEnvRecord | undefined => c.env;

/** The environment to read per request (Workers bindings), when the client comes from one. */
function requestEnv(options: AuraClientSourceOptions) {
  if (options.client !== undefined) return undefined;
  return options.env ?? (getRuntimeKey() === 'workerd' ? workerBindings : undefined);
}

/** One client per environment object: bindings are one object per Worker isolate. */
function perEnvClient(envOf: (c: Context) => AuraEnvRecord | undefined) {
  const clients = new WeakMap<object, AuraClient>();
  return (c: Context): AuraClient => {
    const env = envOf(c) ?? {};
    let client = clients.get(env);
    if (client === undefined) {
      // Workers' fetch throws "Illegal invocation" when called as a method of another object,
      // which the core's client does with its default `globalThis.fetch`: hand it a plain call.
      const fetch: typeof globalThis.fetch = (input, init) => globalThis.fetch(input, init);
      client = resolveAuraClient({ ...auraConfigFromEnv(env), fetch });
      clients.set(env, client);
    }
    return client;
  };
}

/** The client per request, or `undefined` when it is not read from a per-request environment. */
export function bindingsClient(options: AuraClientSourceOptions) {
  const envOf = requestEnv(options);
  return envOf === undefined ? undefined : perEnvClient(envOf);
}

/** `(c) => client`: from the bindings on Workers, else resolved now (a bad config fails at start-up). */
export function clientResolver(options: AuraClientSourceOptions): (c: Context) => AuraClient {
  const fromBindings = bindingsClient(options);
  if (fromBindings !== undefined) return fromBindings;
  const client = resolveAuraClient(options.client);
  return () => client;
}

/** What `@hono/node-server` passes as `c.env.incoming`: Node's own request. */
interface NodeIncoming {
  method?: string;
  url?: string;
  headersDistinct: Record<string, string[] | undefined>;
}

function nodeIncoming(c: Context): NodeIncoming | undefined {
  const incoming = (c.env as { incoming?: Partial<NodeIncoming> } | undefined)?.incoming;
  return typeof incoming?.headersDistinct === 'object' ? (incoming as NodeIncoming) : undefined;
}

/**
 * Method, raw target and headers. On Node, the incoming request's own: a Web `Headers` joins a
 * repeated `Authorization` into one value and the WHATWG URL parser rewrites the path, while the
 * verifier must see both exactly as they arrived.
 */
export function neutralRequest(c: Context): NeutralRequest {
  const incoming = nodeIncoming(c);
  if (incoming !== undefined) {
    return { method: incoming.method, url: incoming.url, headers: incoming.headersDistinct };
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

export type BodyRead =
  | { ok: true; bytes: Uint8Array | undefined }
  | { ok: false; response: NeutralResponse };

const RAW_BODY_FIX =
  'register verifyAuraSignature() before any middleware that reads the body as JSON, text or ' +
  'form data (e.g. a validator), or have that middleware read it with c.req.arrayBuffer()';

async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let done = false;
  try {
    while (!done) {
      const chunk = await reader.read();
      done = chunk.done;
      if (chunk.value !== undefined) yield chunk.value;
    }
  } finally {
    // Stopped early (over the limit): tell the sender we want no more.
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole && bytes.buffer instanceof ArrayBuffer ? bytes.buffer : bytes.slice().buffer;
}

/**
 * The raw body bytes, at most `limit` of them (413 past it, without buffering more), left in
 * Hono's body cache so that the handler's `await c.req.json()` reads these same bytes. Bytes an
 * earlier middleware already read with `c.req.arrayBuffer()` are used as they are; a body read
 * only as JSON, text or form data is gone (`raw_body_unavailable`).
 */
export async function readRawBody(c: Context, limit: number): Promise<BodyRead> {
  // Hono's body cache holds one promise per body reader already called (its type says otherwise).
  const bodyCache = c.req.bodyCache as { arrayBuffer?: Promise<ArrayBuffer> };
  const raw = c.req.raw;
  if (bodyCache.arrayBuffer !== undefined) {
    return readBodyLimited(once(new Uint8Array(await bodyCache.arrayBuffer)), limit);
  }
  if (raw.bodyUsed || Object.keys(bodyCache).length > 0) {
    return { ok: false, response: rawBodyUnavailable(RAW_BODY_FIX) };
  }
  if (raw.body === null) return { ok: true, bytes: undefined };
  const read = await readBodyLimited(chunksOf(raw.body), limit, c.req.header('content-length'));
  if (read.ok) bodyCache.arrayBuffer = Promise.resolve(ownBuffer(read.bytes));
  return read;
}
