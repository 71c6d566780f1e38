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
import type { CaptureEnd, CaptureHandle } from './types';

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

/** A chunk as bytes (or its length, when copying a large string is not worth it). */
function chunkBytes(chunk: unknown, encoding: unknown): Uint8Array | number {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') {
    const enc = (typeof encoding === 'string' ? encoding : 'utf8') as BufferEncoding;
    return chunk.length > MAX_STRING_COPY ? Buffer.byteLength(chunk, enc) : Buffer.from(chunk, enc);
  }
  if (ArrayBuffer.isView(chunk)) {
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  return 0;
}

/** The header block Node sent (`res._header`), as `{ name: value | values }`. */
function sentHeaders(res: ServerResponse): Headers | undefined {
  const raw = (res as unknown as { _header?: unknown })._header;
  if (typeof raw !== 'string' || raw === '') return undefined;
  const out: Record<string, string | string[]> = {};
  for (const line of raw.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = out[name];
    if (before === undefined) out[name] = value;
    else if (Array.isArray(before)) before.push(value);
    else out[name] = [before, value];
  }
  return out;
}

/** Headers given to `writeHead(status, headers)`: an object or a flat `[name, value, …]` array. */
function writeHeadHeaders(args: unknown[]): Headers {
  const headers = typeof args[1] === 'object' ? args[1] : args[2];
  if (headers === null || typeof headers !== 'object') return {};
  if (Array.isArray(headers)) {
    const out: Headers = {};
    for (let i = 0; i + 1 < headers.length; i += 2)
      out[String(headers[i]).toLowerCase()] = String(headers[i + 1]);
    return out;
  }
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name.toLowerCase()] = value as string | string[] | number | undefined;
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
      { method: req.method, url: context.url ?? req.url, headers: { ...req.headers } },
      frameworkRequest,
    );
  } catch {
    return undefined;
  }
  if (handle === undefined) return undefined;
  const capture = handle;

  // Bytes Node read before capture began (a body parser installed earlier): counted, not kept.
  if (req.readableLength > 0) capture.requestChunk(req.readableLength);
  let requestBytesSeen = req.readableLength > 0;

  const originalPush = req.push;
  const ownPush = Object.hasOwn(req, 'push');
  const push = function (this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding) {
    try {
      if (chunk !== null && chunk !== undefined) {
        requestBytesSeen = true;
        capture.requestChunk(chunkBytes(chunk, encoding));
      }
    } catch {
      // never into the stream
    }
    return originalPush.call(this, chunk, encoding);
  } as typeof req.push;
  req.push = push;

  const originalWriteHead = res.writeHead;
  const originalWrite = res.write;
  const originalEnd = res.end;
  let given: Headers = {};
  let described = false;
  const describe = () => {
    if (described) return;
    described = true;
    capture.responseHeaders({ ...(res.getHeaders() as Headers), ...given });
  };
  const observe = (chunk: unknown, encoding: unknown) => {
    try {
      describe();
      if (chunk !== null && chunk !== undefined && typeof chunk !== 'function') {
        capture.responseChunk(chunkBytes(chunk, encoding));
      }
    } catch {
      // never into the response
    }
  };
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    try {
      given = { ...given, ...writeHeadHeaders(args) };
    } catch {
      // never into the response
    }
    return (originalWriteHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof res.writeHead;
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    observe(args[0], args[1]);
    return (originalWrite as (...a: unknown[]) => boolean).apply(this, args);
  } as typeof res.write;
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    observe(args[0], args[1]);
    return (originalEnd as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof res.end;

  const restore = () => {
    // Our wrappers go once the exchange is over; a later wrapper (someone else's) is left alone.
    if (req.push !== push) return;
    if (ownPush) req.push = originalPush;
    else delete (req as { push?: unknown }).push;
  };

  const finish = () => {
    try {
      if (!requestBytesSeen && context.consumedBody !== undefined) {
        try {
          const bytes = context.consumedBody();
          if (bytes instanceof Uint8Array && bytes.byteLength > 0) capture.requestChunk(bytes);
        } catch {
          // never into the host
        }
      }
      const read = <T>(fn: (() => T) | undefined): T | undefined => {
        try {
          return fn?.();
        } catch {
          return undefined;
        }
      };
      const end: CaptureEnd = {
        status: res.headersSent || res.writableFinished ? res.statusCode : 0,
        headers: sentHeaders(res) ?? { ...(res.getHeaders() as Headers), ...given },
        route: read(context.route) ?? null,
        caller: read(context.caller),
        user: read(context.user),
      };
      capture.end(end);
    } catch {
      // never into the host
    }
  };
  res.once('finish', finish);
  res.once('close', () => {
    finish();
    restore();
  });
  return capture;
}
