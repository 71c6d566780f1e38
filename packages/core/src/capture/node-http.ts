/**
 * The tee every Node adapter shares (Express, Koa, Fastify, Nest, Hono on `@hono/node-server`):
 * it watches an `IncomingMessage` and its `ServerResponse` without changing what either carries.
 *
 * - Request bytes are seen where Node's HTTP parser hands them to the stream (`req.push`), so
 *   the stream's mode, flow and backpressure are the application's alone: a body nobody reads
 *   is not read here either, and nothing is buffered beyond the capped copy.
 * - Response bytes are seen as `write`/`end` pass them on; the original call always runs with
 *   the original arguments, so streaming and chunked responses go out unchanged.
 * - The event ends on `finish` (or `close`, when the client went away first).
 *
 * Only Node's types are imported: this module runs nowhere but in Node, yet keeps the core free
 * of `node:` imports so the web build stays clean.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CaptureRecorder } from './recorder';
import type { CaptureHandle } from './types';

/** What the adapter knows only once the response is over. */
export interface NodeCaptureContext {
  /** The request target as received, when the framework rewrites `req.url` (Express routers). */
  url?: string;
  /** The route template, read when the response is over. */
  route?(): string | null | undefined;
  caller?(): { appId: string } | undefined;
  user?(): { id: string } | string | undefined;
  /**
   * The bytes a body parser installed before capture already read (Nest's `req.rawBody`), used
   * when the tee saw none: the parser ran first, so the stream was over before capture began.
   */
  consumedBody?(): Uint8Array | undefined;
}

// Larger strings are counted, not copied: they are past any sensible body cap.
const MAX_STRING_COPY = 64 * 1024;

type Headers = Record<string, string | string[] | number | undefined>;

/**
 * A chunk as bytes, or its length: when only sizes are recorded (`copy` false), or when copying
 * a large string is not worth it.
 */
function chunkBytes(chunk: unknown, encoding: unknown, copy: boolean): Uint8Array | number {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') {
    const enc = (typeof encoding === 'string' ? encoding : 'utf8') as BufferEncoding;
    return !copy || chunk.length > MAX_STRING_COPY
      ? Buffer.byteLength(chunk, enc)
      : Buffer.from(chunk, enc);
  }
  if (ArrayBuffer.isView(chunk)) {
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  return 0;
}

/**
 * Headers given to `writeHead(status, [reason,] headers)`: an object or a flat
 * `[name, value, …]` array.
 */
function writeHeadHeaders(reason: unknown, third: unknown): Headers {
  const headers = typeof reason === 'object' ? reason : third;
  if (headers === null || typeof headers !== 'object') return {};
  if (Array.isArray(headers)) {
    const out: Headers = {};
    for (let i = 0; i + 1 < headers.length; i += 2)
      out[String(headers[i]).toLowerCase()] = String(headers[i + 1]);
    return out;
  }
  const out: Headers = {};
  const given = headers as Headers;
  for (const name in given) {
    if (Object.hasOwn(given, name)) out[name.toLowerCase()] = given[name];
  }
  return out;
}

/**
 * Starts recording one request on Node's HTTP objects; answers the handle, or `undefined` when
 * the request is not captured. `frameworkRequest` is what the user's `skip(req)` receives.
 * Never throws.
 */
export function captureNodeHttp<Req>(
  recorder: CaptureRecorder<Req>,
  req: IncomingMessage,
  res: ServerResponse,
  frameworkRequest: Req,
  context: NodeCaptureContext = {},
): CaptureHandle | undefined {
  let handle: CaptureHandle | undefined;
  try {
    handle = recorder.begin(
      // Not copied here: the recording redacts them into its own copy at once.
      { method: req.method, url: context.url ?? req.url, headers: req.headers },
      frameworkRequest,
    );
    if (handle !== undefined) new NodeTee(handle, req, res, context, recorder.bodies !== false);
  } catch {
    return undefined;
  }
  return handle;
}

/**
 * The wrappers and listeners of one exchange. A class, and wrappers assigned straight to the
 * objects: a busy server makes one per request, so nothing here is a per-request named closure.
 */
class NodeTee {
  readonly #handle: CaptureHandle;
  readonly #res: ServerResponse;
  readonly #context: NodeCaptureContext;
  /** Headers given to `writeHead(status, headers)`, which `getHeaders()` does not show. */
  #given: Headers | undefined;
  /** Whether bodies are kept: only then is a chunk copied (else only its length is counted). */
  readonly #bodies: boolean;
  #described = false;
  #requestBytesSeen: boolean;
  #ended = false;

  constructor(
    handle: CaptureHandle,
    req: IncomingMessage,
    res: ServerResponse,
    context: NodeCaptureContext,
    bodies: boolean,
  ) {
    this.#handle = handle;
    this.#bodies = bodies;
    // Without bodies the headers are read once, at the end.
    this.#described = !bodies;
    this.#res = res;
    this.#context = context;
    // Bytes Node read before capture began (a body parser installed earlier): counted, not kept.
    this.#requestBytesSeen = req.readableLength > 0;
    if (this.#requestBytesSeen) handle.requestChunk(req.readableLength);

    const tee = this;
    const originalPush = req.push;
    // Left in place when the exchange is over (it then only passes bytes on): deleting an own
    // property turns the request into a slow, dictionary-mode object for Node's internals.
    req.push = function (this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding) {
      if (!tee.#ended) tee.#requestChunk(chunk, encoding);
      return originalPush.call(this, chunk, encoding);
    } as typeof req.push;

    // The original is applied to `arguments` as given: no rest array per call, and a call
    // with fewer arguments reaches Node exactly as it was made.
    const originalWriteHead = res.writeHead as (...a: unknown[]) => ServerResponse;
    const originalWrite = res.write as (...a: unknown[]) => boolean;
    const originalEnd = res.end as (...a: unknown[]) => ServerResponse;
    res.writeHead = function (
      this: ServerResponse,
      _status: unknown,
      reason: unknown,
      headers: unknown,
    ) {
      tee.#headersGiven(reason, headers);
      // biome-ignore lint/complexity/noArguments: passes the call on unchanged, without a rest array
      return originalWriteHead.apply(this, arguments as unknown as unknown[]);
    } as typeof res.writeHead;
    res.write = function (this: ServerResponse, chunk: unknown, encoding: unknown) {
      tee.#responseChunk(chunk, encoding);
      // biome-ignore lint/complexity/noArguments: passes the call on unchanged, without a rest array
      return originalWrite.apply(this, arguments as unknown as unknown[]);
    } as typeof res.write;
    res.end = function (this: ServerResponse, chunk: unknown, encoding: unknown) {
      tee.#responseChunk(chunk, encoding);
      // biome-ignore lint/complexity/noArguments: passes the call on unchanged, without a rest array
      return originalEnd.apply(this, arguments as unknown as unknown[]);
    } as typeof res.end;

    // `on`, not `once`: `#finish` runs once anyway, and `once` binds a wrapper per listener.
    // Function expressions given inline: a named one would be renamed (`keepNames`) per request.
    res.on('finish', () => {
      tee.#finish();
    });
    res.on('close', () => {
      tee.#finish();
    });
  }

  #requestChunk(chunk: unknown, encoding: BufferEncoding | undefined): void {
    try {
      if (chunk === null || chunk === undefined) return;
      this.#requestBytesSeen = true;
      this.#handle.requestChunk(chunkBytes(chunk, encoding, this.#bodies));
    } catch {
      // never into the stream
    }
  }

  #headersGiven(reason: unknown, headers: unknown): void {
    try {
      // `writeHead(status)` alone (Node's own implicit call from `end()`) gives no headers.
      if (typeof reason !== 'object' && typeof headers !== 'object') return;
      const given = writeHeadHeaders(reason, headers);
      this.#given = this.#given === undefined ? given : { ...this.#given, ...given };
    } catch {
      // never into the response
    }
  }

  /** The response headers: those set, and over them those given to `writeHead`, in one object. */
  #headers(): Headers {
    // `getHeaders()` answers a fresh object: the given ones are written into it, not spread.
    const headers = this.#res.getHeaders() as Headers;
    const given = this.#given;
    if (given !== undefined) {
      for (const name in given) {
        if (Object.hasOwn(given, name)) headers[name] = given[name];
      }
    }
    return headers;
  }

  #responseChunk(chunk: unknown, encoding: unknown): void {
    try {
      if (!this.#described) {
        this.#described = true;
        this.#handle.responseHeaders(this.#headers());
      }
      if (chunk !== null && chunk !== undefined && typeof chunk !== 'function') {
        this.#handle.responseChunk(chunkBytes(chunk, encoding, this.#bodies));
      }
    } catch {
      // never into the response
    }
  }

  #read<T>(read: (() => T) | undefined): T | undefined {
    try {
      return read?.call(this.#context);
    } catch {
      return undefined;
    }
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      const context = this.#context;
      if (!this.#requestBytesSeen && context.consumedBody !== undefined) {
        const bytes = this.#read(context.consumedBody);
        if (bytes instanceof Uint8Array && bytes.byteLength > 0) this.#handle.requestChunk(bytes);
      }
      const res = this.#res;
      this.#handle.end({
        status: res.headersSent || res.writableFinished ? res.statusCode : 0,
        headers: this.#headers(),
        route: this.#read(context.route) ?? null,
        caller: this.#read(context.caller),
        user: this.#read(context.user),
      });
    } catch {
      // never into the host
    }
  }
}
