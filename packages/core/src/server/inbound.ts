/**
 * The inbound pipeline behind `verifyAuraSignature` in every adapter: body limit, the verifier
 * on the exact bytes received, JSON parsed from those same bytes, the caller. Each step is a
 * named function that answers a result; only misconfiguration throws, and only at start-up.
 */
import { AuraError } from '../errors';
import type { NonceStore } from '../replay/nonce-store';
import { type VerifyOptions, verifyRequest } from '../signing/verify';
import {
  declaredLength,
  errorResponse,
  headerValue,
  isJsonContentType,
  looksLikeJson,
  type NeutralRequest,
  type NeutralResponse,
  parseJson,
} from './http';

/** 1 MiB: the default cap on an inbound signed body. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

export interface InboundVerifierOptions {
  /** App id → secret, or a lookup (sync or async). */
  secrets: VerifyOptions['secrets'];
  /** Only these app ids may call (others: 403, or `failureStatus`). */
  only?: string[];
  /** This service's host names (with port when not the default); the signed Host must be one. */
  hosts?: string[];
  /** Accepted clock difference either way, in seconds (default 300). */
  skewSeconds?: number;
  /** Where accepted nonces are remembered (default the process-wide in-memory store). */
  nonceStore?: NonceStore;
  /** Deadline for the secret lookup and the nonce store, in ms (passed to the verifier). */
  timeoutMs?: number;
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
  /** Largest body accepted, in bytes (default 1 MiB); larger → 413 `body_too_large`. */
  maxBodyBytes?: number;
  /**
   * Status for a refused signature (replaces the verifier's 401 and 403, like Flask-HMAC's
   * `HMAC_ERROR_CODE`). Malformed requests (400), oversized bodies (413), and the server's own
   * failures (500, 503) keep their status.
   */
  failureStatus?: number;
}

export type InboundResult =
  | {
      ok: true;
      caller: { appId: string };
      /**
       * JSON parsed from the verified bytes when the content type is JSON (or absent and the
       * bytes start like JSON); else the bytes themselves; `undefined` when there was no body.
       */
      body: unknown;
    }
  | { ok: false; response: NeutralResponse };

export interface InboundVerifier {
  readonly maxBodyBytes: number;
  /** body: the raw bytes, or `undefined` when no body arrived. */
  verify(request: NeutralRequest, body: Uint8Array | undefined): Promise<InboundResult>;
}

function configuration(message: string): AuraError {
  return new AuraError('configuration', `verifyAuraSignature: ${message}`);
}

function isStringList(value: unknown): value is string[] {
  return (
    Array.isArray(value) && value.every((item) => typeof item === 'string' && item.trim() !== '')
  );
}

/** Every option checked once, when the app is assembled: a bad one must not wait for a caller. */
function checkOptions(options: InboundVerifierOptions): void {
  if (options === null || typeof options !== 'object') {
    throw configuration('options are required ({ secrets })');
  }
  const { secrets } = options;
  if (typeof secrets !== 'function') {
    if (secrets === null || typeof secrets !== 'object' || Array.isArray(secrets)) {
      throw configuration('secrets must be an { appId: secret } map or a lookup function');
    }
    const entries = Object.entries(secrets);
    if (entries.length === 0) throw configuration('secrets holds no app id');
    for (const [appId, secret] of entries) {
      if (typeof secret !== 'string' || secret === '') {
        throw configuration(`secrets["${appId.slice(0, 64)}"] must be a non-empty string`);
      }
    }
  }
  if (options.only !== undefined && (!isStringList(options.only) || options.only.length === 0)) {
    throw configuration('only must be a non-empty list of app ids');
  }
  if (options.hosts !== undefined && (!isStringList(options.hosts) || options.hosts.length === 0)) {
    throw configuration('hosts must be a non-empty list of host names');
  }
  const skew = options.skewSeconds;
  if (skew !== undefined && (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0)) {
    throw configuration('skewSeconds must be a finite number of seconds, 0 or more');
  }
  const timeout = options.timeoutMs;
  if (timeout !== undefined && (!Number.isSafeInteger(timeout) || timeout < 1)) {
    throw configuration('timeoutMs must be a positive whole number of milliseconds');
  }
  const max = options.maxBodyBytes;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 0)) {
    throw configuration('maxBodyBytes must be a whole number of bytes, 0 or more');
  }
  const status = options.failureStatus;
  if (status !== undefined && (!Number.isSafeInteger(status) || status < 400 || status > 499)) {
    throw configuration('failureStatus must be a 4xx status');
  }
  if (options.nonceStore !== undefined && typeof options.nonceStore?.claim !== 'function') {
    throw configuration('nonceStore must have a claim() method');
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw configuration('now must be a function answering milliseconds');
  }
}

/** 413 `body_too_large`. */
export function bodyTooLarge(limit: number): NeutralResponse {
  return errorResponse(
    413,
    'body_too_large',
    `the request body is larger than the ${limit} bytes accepted`,
  );
}

/**
 * 500 `raw_body_unavailable`: a body parser consumed the stream and kept no bytes, so the
 * signature cannot be checked (a re-serialised body never matches). `fix` names the remedy in
 * the framework's terms.
 */
export function rawBodyUnavailable(fix: string): NeutralResponse {
  return errorResponse(
    500,
    'raw_body_unavailable',
    `the raw request body is not available to verify its signature: a body parser consumed it first. ${fix}`,
  );
}

/** The verifier options, with `timeoutMs` passed on for verifiers that take a deadline. */
function verifierOptions(options: InboundVerifierOptions): VerifyOptions {
  const verify: VerifyOptions & { timeoutMs?: number } = { secrets: options.secrets };
  if (options.only !== undefined) verify.only = [...options.only];
  if (options.hosts !== undefined) verify.hosts = [...options.hosts];
  if (options.skewSeconds !== undefined) verify.skewSeconds = options.skewSeconds;
  if (options.nonceStore !== undefined) verify.nonceStore = options.nonceStore;
  if (options.now !== undefined) verify.now = options.now;
  if (options.timeoutMs !== undefined) verify.timeoutMs = options.timeoutMs;
  return verify;
}

/** The verified bytes as the handler expects them: JSON when they are JSON, else the bytes. */
function bodyFromBytes(
  contentType: string | undefined,
  bytes: Uint8Array | undefined,
): { ok: true; body: unknown } | { ok: false; response: NeutralResponse } {
  if (bytes === undefined || bytes.length === 0) return { ok: true, body: undefined };
  const json =
    isJsonContentType(contentType) ||
    ((contentType === undefined || contentType.trim() === '') && looksLikeJson(bytes));
  if (!json) return { ok: true, body: bytes };
  const parsed = parseJson(bytes);
  if (!parsed.ok)
    return { ok: false, response: errorResponse(400, 'invalid_json', parsed.message) };
  return { ok: true, body: parsed.value };
}

/** Validates options once (throws `configuration` naming the option) and answers the verifier. */
export function createInboundVerifier(options: InboundVerifierOptions): InboundVerifier {
  checkOptions(options);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const failureStatus = options.failureStatus;
  const verifyOptions = verifierOptions(options);

  return {
    maxBodyBytes,
    async verify(request, body) {
      if (body !== undefined && body.length > maxBodyBytes) {
        return { ok: false, response: bodyTooLarge(maxBodyBytes) };
      }
      if (typeof request.method !== 'string' || typeof request.url !== 'string') {
        return {
          ok: false,
          response: errorResponse(400, 'invalid_request', 'the request has no method or target'),
        };
      }
      const result = await verifyRequest(
        { method: request.method, url: request.url, headers: request.headers ?? {}, body },
        verifyOptions,
      );
      if (!result.ok) {
        const refused = result.status === 401 || result.status === 403;
        const status = refused && failureStatus !== undefined ? failureStatus : result.status;
        return { ok: false, response: errorResponse(status, result.code, result.message) };
      }
      const parsed = bodyFromBytes(headerValue(request.headers ?? {}, 'content-type'), body);
      if (!parsed.ok) return parsed;
      return { ok: true, caller: { appId: result.appId }, body: parsed.body };
    },
  };
}

function declaredTooLong(declared: string | undefined, limit: number): boolean {
  // A length that is not plain digits is left to the stream: its real size is what counts.
  const length = declaredLength(declared);
  return length !== undefined && length > limit;
}

/** Bytes already read whole (a framework kept them): 413 `body_too_large` past the limit. */
export function bytesWithinLimit(bytes: Uint8Array, limit: number): LimitedRead {
  return bytes.length > limit ? { ok: false, response: bodyTooLarge(limit) } : { ok: true, bytes };
}

/** What a Node `Readable` offers for reading in flowing mode, described structurally. */
interface NodeReadable {
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  readableEnded?: boolean;
  destroyed?: boolean;
}

function isNodeReadable(source: unknown): source is NodeReadable {
  const stream = source as Partial<NodeReadable> | null;
  return (
    typeof stream?.on === 'function' &&
    typeof stream.removeListener === 'function' &&
    typeof stream.pause === 'function' &&
    typeof stream.resume === 'function'
  );
}

type LimitedRead = { ok: true; bytes: Uint8Array } | { ok: false; response: NeutralResponse };

/**
 * Reads a byte stream (a Node request, a Web body as an async iterable) up to `limit` bytes.
 * A declared `Content-Length` over the limit, or more bytes than the limit, answer 413
 * `body_too_large` at once, reading nothing more: the rest of the stream is left unread, not
 * destroyed, so the adapter can still answer (Node's server discards the remainder once the
 * response ends). No deadline of its own: the framework's request timeout bounds a slow sender.
 */
export function readBodyLimited(
  source: AsyncIterable<Uint8Array>,
  limit: number,
  declaredLength?: string | undefined,
): Promise<LimitedRead> {
  if (declaredTooLong(declaredLength, limit)) {
    return Promise.resolve({ ok: false, response: bodyTooLarge(limit) });
  }
  // A Node stream is read through its events: its async iterator costs a promise and a
  // microtask per chunk, and a stream object per request, on every verified call.
  if (isNodeReadable(source)) return readNodeStream(source, limit);
  return readIterable(source, limit);
}

const utf8Encoder = new TextEncoder();

function chunkBytes(chunk: Uint8Array | string): Uint8Array {
  return typeof chunk === 'string' ? utf8Encoder.encode(chunk) : chunk;
}

function joined(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

function readNodeStream(stream: NodeReadable, limit: number): Promise<LimitedRead> {
  if (stream.readableEnded === true) return Promise.resolve({ ok: true, bytes: new Uint8Array(0) });
  if (stream.destroyed === true) {
    return Promise.reject(new Error('the request stream was destroyed before its body was read'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const stop = () => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      stream.removeListener('close', onClose);
    };
    const onData = (chunk: Uint8Array | string) => {
      const bytes = chunkBytes(chunk);
      total += bytes.length;
      if (total > limit) {
        // Left unread, not destroyed, so that the 413 can still be written.
        stop();
        stream.pause();
        resolve({ ok: false, response: bodyTooLarge(limit) });
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      stop();
      resolve({ ok: true, bytes: joined(chunks, total) });
    };
    const onError = (error: unknown) => {
      stop();
      reject(error);
    };
    // Closed before its end (the client went away): the body is incomplete.
    const onClose = () => {
      stop();
      reject(new Error('the request stream closed before its body was complete'));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
    // A stream paused on purpose stays paused when a data listener is added.
    stream.resume();
  });
}

async function readIterable(
  source: AsyncIterable<Uint8Array>,
  limit: number,
): Promise<LimitedRead> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = chunkBytes(next.value);
    total += chunk.length;
    // Not `for await … break`: that would call return(), which destroys a Node request's socket
    // before the 413 can be written.
    if (total > limit) return { ok: false, response: bodyTooLarge(limit) };
    chunks.push(chunk);
  }
  return { ok: true, bytes: joined(chunks, total) };
}
