/**
 * Translation between Hono's context and the core's neutral request and response: the only
 * place that knows where Hono keeps the method, the raw target, the headers and the body.
 */
import {
  type AuraClient,
  type AuraClientSource,
  type AuraEnv as AuraEnvRecord,
  auraConfigFromEnv,
  bodyTooLarge,
  bytesWithinLimit,
  headersFromNode,
  headersFromWeb,
  type NeutralRequest,
  type NeutralResponse,
  type NodeHeaderSource,
  nodeBodyLength,
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
 * path, while the verifier must see both exactly as they arrived (`headersFromNode`: Node's
 * parsed headers when they hold exactly the received fields, else `headersDistinct`).
 */
export function neutralRequest(c: Context): NeutralRequest {
  const incoming = nodeIncoming(c);
  if (incoming !== undefined) {
    return { method: incoming.method, url: incoming.url, headers: headersFromNode(incoming) };
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

type BodyRead =
  | { ok: true; bytes: Uint8Array | undefined }
  | { ok: false; response: NeutralResponse };
type WholeBodyRead = { ok: true; bytes: Uint8Array } | { ok: false; response: NeutralResponse };

/** What is read here of Node's `IncomingMessage` (`c.env.incoming` on `@hono/node-server`). */
interface NodeIncoming extends NodeHeaderSource {
  method?: string;
  url?: string;
  httpVersionMajor?: number;
}

function nodeIncoming(c: Context): NodeIncoming | undefined {
  const incoming = (c.env as { incoming?: Partial<NodeIncoming> } | undefined)?.incoming;
  // `in`, not a read: Node computes `headersDistinct` when it is first read.
  return typeof incoming?.headers === 'object' && 'headersDistinct' in incoming
    ? (incoming as NodeIncoming)
    : undefined;
}

/**
 * The raw body bytes, at most `limit` of them (413 past it, without buffering more), left where
 * the handler's `await c.req.json()` (or `text()`, `parseBody()`, a validator) reads these same
 * bytes. Bytes an earlier middleware read with `c.req.arrayBuffer()` are used as they are; a body
 * read only as JSON, text or form data is gone (`raw_body_unavailable`).
 *
 * On `@hono/node-server`, a body whose length Node's parser enforces is checked against the limit
 * before any byte is read, then read whole with `c.req.arrayBuffer()`, which that server answers
 * from the socket's chunks without building a Web `Request` or stream, and Hono keeps for later
 * readers. Any other body is read as a stream, chunk by chunk against the limit, then put back as
 * the request's body (as Hono's own `bodyLimit` does).
 */
export async function readRawBody(c: Context, limit: number): Promise<BodyRead> {
  // Hono keeps what a body reader already read here, a promise (or, in early 4.x, a value) per
  // reader; its type says otherwise.
  const cache = c.req.bodyCache as { arrayBuffer?: ArrayBuffer | Promise<ArrayBuffer> };
  const { raw } = c.req;
  if (cache.arrayBuffer !== undefined)
    return bytesWithinLimit(new Uint8Array(await cache.arrayBuffer), limit);
  if (raw.bodyUsed || Object.keys(cache).length > 0) {
    return { ok: false, response: rawBodyUnavailable(RAW_BODY_FIX) };
  }
  const incoming = nodeIncoming(c);
  const length = incoming === undefined ? undefined : nodeBodyLength(incoming);
  if (length === null) return { ok: true, bytes: undefined };
  if (length !== undefined) {
    if (length > limit) return { ok: false, response: bodyTooLarge(limit) };
    return cacheServesLaterReaders(c.req) ? readIntoBodyCache(c, limit) : readBack(c, limit);
  }
  if (raw.body === null) return { ok: true, bytes: undefined };
  const read = await readBodyLimited(raw.body, limit, c.req.header('content-length'));
  if (read.ok) c.req.raw = new Request(raw, { body: read.bytes });
  return read;
}

const utf8 = new TextDecoder();

/**
 * Hono's body cache after verification: the `arrayBuffer` promise Hono's own reader left, and
 * the text, JSON and form data of those bytes, each made on first use. Hono would otherwise make
 * them from the cached bytes through a new Web `Response`, which on Node costs more than the
 * verification (and, in earlier 4.x releases, loses the `Content-Type` that form data needs).
 * They are getters on the class, not closures made per request; a reader that stores its own
 * value (Hono's form validator does) replaces them.
 */
class VerifiedBodyCache {
  readonly #bytes: Uint8Array;
  readonly #request: Context['req'];
  #text: Promise<string> | undefined;
  #json: Promise<unknown> | undefined;
  #formData: Promise<FormData> | undefined;

  constructor(
    public arrayBuffer: Promise<ArrayBuffer>,
    bytes: Uint8Array,
    request: Context['req'],
  ) {
    this.#bytes = bytes;
    this.#request = request;
  }

  get text(): Promise<string> {
    this.#text ??= Promise.resolve(utf8.decode(this.#bytes));
    return this.#text;
  }

  set text(value: Promise<string>) {
    VerifiedBodyCache.#own(this, 'text', value);
  }

  /** As Hono caches JSON (4.2 to 4.x: `c.req.json()` looks here; later ones parse the text). */
  get json(): Promise<unknown> {
    this.#json ??= this.text.then(JSON.parse);
    return this.#json;
  }

  set json(value: Promise<unknown>) {
    VerifiedBodyCache.#own(this, 'json', value);
  }

  get formData(): Promise<FormData> {
    if (this.#formData === undefined) {
      const type = this.#request.header('content-type');
      const init = type === undefined ? {} : { headers: { 'content-type': type } };
      this.#formData = new Response(this.#bytes, init).formData();
    }
    return this.#formData;
  }

  set formData(value: Promise<FormData>) {
    VerifiedBodyCache.#own(this, 'formData', value);
  }

  static #own(cache: VerifiedBodyCache, key: string, value: unknown) {
    Object.defineProperty(cache, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
}

/** Reads the body with `c.req.arrayBuffer()`, which Hono caches, then offers its other forms. */
async function readIntoBodyCache(c: Context, limit: number): Promise<WholeBodyRead> {
  const buffer = c.req.arrayBuffer();
  const read = bytesWithinLimit(new Uint8Array(await buffer), limit);
  if (read.ok) c.req.bodyCache = new VerifiedBodyCache(buffer, read.bytes, c.req) as never;
  return read;
}

/** Hono 4.0 and 4.1: the body read whole, then put back as the request's body. */
async function readBack(c: Context, limit: number): Promise<WholeBodyRead> {
  const { raw } = c.req;
  const read = bytesWithinLimit(new Uint8Array(await raw.arrayBuffer()), limit);
  if (read.ok) c.req.raw = new Request(raw, { body: read.bytes });
  return read;
}

const servesLaterReaders = new WeakMap<object, boolean>();

/**
 * Whether this Hono answers `c.req.json()`, `text()`… after `c.req.arrayBuffer()` from the cached
 * promise (4.2 on: it chains on it). Hono 4.0 and 4.1 hand the cached entry to `new Response()`
 * as it is, which reads a promise as the text "[object Promise]"; there the bytes go back as the
 * request's body instead. Asked once per HonoRequest class, on a request of its own: a then-able
 * in its cache tells whether Hono chains on it.
 */
function cacheServesLaterReaders(req: Context['req']): boolean {
  const HonoRequest = req.constructor as new (raw: Request) => Context['req'];
  let known = servesLaterReaders.get(HonoRequest);
  if (known === undefined) {
    let chained = false;
    const probe = new HonoRequest(new Request('http://probe.invalid/'));
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: the probe is a then-able on purpose
      then() {
        chained = true;
      },
    };
    (probe.bodyCache as Record<string, unknown>).arrayBuffer = thenable;
    void probe.text();
    known = chained;
    servesLaterReaders.set(HonoRequest, known);
  }
  return known;
}
