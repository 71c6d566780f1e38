/**
 * One request being recorded. A class, not a set of closures: a busy server makes one per
 * request, and methods on the prototype cost nothing to create.
 *
 * On the request path a recording only copies the few facts of the exchange (the headers as a
 * shallow copy, sizes, times, status, route, caller, user) and tees the body bytes within the
 * cap. Redaction and the event's JSON are written later by `line()`, which the recorder calls
 * when it drains its finished recordings, off the request path (docs/ARCHITECTURE.md,
 * "Capture"): nothing unredacted is ever queued for delivery, logged or sent, and a recording
 * dropped before it is drained is let go without being written at all.
 */
import { headerValue } from '../server/http';
import { type BodyResult, BodyTee } from './body';
import { type CaptureRedactor, jsonString } from './redact';
import type { CaptureEnd, CaptureHandle, CaptureRequestMeta } from './types';

/** What every recording shares: set once per recorder. */
export interface RecordingShared {
  bodies: boolean;
  maxBodyBytes: number;
  redactor: CaptureRedactor;
  /**
   * Takes a finished recording, not yet redacted, with the bytes it holds (an estimate that
   * never undercounts the strings and body bytes it keeps); the recorder bounds them.
   */
  finished(recording: Recording, bytes: number): void;
  /** A recording that could not be finished (counted as dropped; the error is not logged). */
  failed(error: unknown): void;
}

type Headers = CaptureEnd['headers'];

/** A recording's fixed cost besides its strings (fields, the event's keys and punctuation). */
const RECORD_OVERHEAD_BYTES = 256;

/** Milliseconds since an arbitrary origin, monotonic where the platform has `performance`. */
export const now = (): number => globalThis.performance?.now() ?? Date.now();

// `new Date(ms).toISOString()` on every request costs more than the rest of the event's
// scalars together; the second's prefix is kept and only the milliseconds are written.
let isoSecond = Number.NaN;
let isoPrefix = '';

/** `new Date(ms).toISOString()`, the same string, from a per-second cache. */
export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    const iso = new Date(second * 1000).toISOString();
    // Years past 9999 are written differently; they are not cached.
    if (iso.length !== 24) return new Date(ms).toISOString();
    isoSecond = second;
    isoPrefix = iso.slice(0, 20);
  }
  const millis = ms - isoSecond * 1000;
  return `${isoPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/** Bytes of a chunk, or the count given for bytes that were not handed over. */
function lengthOf(bytes: Uint8Array | number): number {
  const length = typeof bytes === 'number' ? bytes : bytes.byteLength;
  // Not `Math.max`: a count that is not a number (NaN) counts nothing.
  if (!(length > 0)) return 0;
  return length;
}

export class Recording implements CaptureHandle {
  readonly #shared: RecordingShared;
  readonly #started = now();
  readonly #startedAt = Date.now();
  readonly #method: string | undefined;
  readonly #target: string;
  /** A shallow copy: the application may change its request's headers later. */
  readonly #requestHeaders: Headers;
  /** The declared `Content-Length`, for a body that was never read. */
  readonly #declaredLength: string | undefined;
  /** Only with bodies on; without, sizes are all there is to count. */
  readonly #request: BodyTee | undefined;
  readonly #response: BodyTee | undefined;
  #requestSize = 0;
  #responseSize = 0;
  #described = false;
  #done = false;
  /** Characters of the strings this recording holds (headers, target), for the memory budget. */
  #chars = 0;
  // What the end gave, copied (no redaction yet).
  #status = 0;
  #durationMs = 0;
  #route: string | null = null;
  #responseHeaders: Headers | undefined;
  #caller: string | undefined;
  #user: string | undefined;

  constructor(shared: RecordingShared, meta: CaptureRequestMeta) {
    this.#shared = shared;
    this.#method = meta.method;
    this.#target = meta.url ?? '/';
    this.#chars = this.#target.length;
    this.#requestHeaders = this.#copy(meta.headers);
    // Node and `Headers` copies name it in lowercase; anything else is looked for.
    const length = meta.headers['content-length'];
    this.#declaredLength =
      typeof length === 'string' ? length : headerValue(meta.headers, 'content-length');
    if (shared.bodies) {
      this.#request = new BodyTee(true, shared.maxBodyBytes);
      this.#response = new BodyTee(true, shared.maxBodyBytes);
      this.#request.describe(
        headerValue(meta.headers, 'content-type'),
        headerValue(meta.headers, 'content-encoding'),
      );
    }
  }

  requestChunk(bytes: Uint8Array | number): void {
    if (this.#done) return;
    try {
      this.#requestSize += lengthOf(bytes);
      this.#request?.push(bytes);
    } catch {
      // counting a chunk cannot fail; nothing may escape into the stream either way
    }
  }

  responseHeaders(headers: CaptureEnd['headers']): void {
    // Without bodies the response headers matter only at the end, where they are given again.
    if (this.#done || this.#described || this.#response === undefined) return;
    try {
      this.#describeResponse(lowercase(headers));
    } catch {
      // never into the host
    }
  }

  responseChunk(bytes: Uint8Array | number): void {
    if (this.#done) return;
    try {
      this.#responseSize += lengthOf(bytes);
      this.#response?.push(bytes);
    } catch {
      // never into the host
    }
  }

  /**
   * Ends the record: the facts the end gives are copied (the duration is taken now) and the
   * recording is handed to the recorder, which writes its event later, off the request path.
   */
  end(end: CaptureEnd): void {
    if (this.#done) return;
    this.#done = true;
    try {
      this.#durationMs = Math.round((now() - this.#started) * 100) / 100;
      this.#status = Number.isSafeInteger(end.status) ? end.status : 0;
      this.#route = typeof end.route === 'string' && end.route !== '' ? end.route : null;
      this.#responseHeaders = this.#copy(end.headers);
      if (!this.#described && this.#response !== undefined) {
        this.#describeResponse(lowercase(this.#responseHeaders));
      }
      const caller = end.caller?.appId;
      if (typeof caller === 'string') this.#caller = this.#held(caller);
      const user = typeof end.user === 'string' ? end.user : end.user?.id;
      if (typeof user === 'string' && user !== '') this.#user = this.#held(user);
      if (this.#route !== null) this.#held(this.#route);
      const bodies = (this.#request?.held ?? 0) + (this.#response?.held ?? 0);
      this.#shared.finished(this, RECORD_OVERHEAD_BYTES + this.#chars * 2 + bodies);
    } catch (error) {
      this.#shared.failed(error);
    }
  }

  #held(text: string): string {
    this.#chars += text.length;
    return text;
  }

  /** A shallow copy of a headers record (arrays copied too), counting its characters. */
  #copy(headers: Headers): Headers {
    const out: Headers = {};
    let chars = 0;
    for (const name in headers) {
      if (!Object.hasOwn(headers, name)) continue;
      const value = headers[name];
      if (value === undefined) continue;
      if (typeof value === 'string') {
        chars += name.length + value.length;
        out[name] = value;
      } else if (Array.isArray(value)) {
        const items = value.slice();
        chars += name.length;
        for (const item of items) chars += String(item).length;
        out[name] = items;
      } else {
        chars += name.length + 24;
        out[name] = value;
      }
    }
    this.#chars += chars;
    return out;
  }

  #describeResponse(headers: CaptureEnd['headers']): void {
    this.#described = true;
    this.#response?.describe(first(headers, 'content-type'), first(headers, 'content-encoding'));
  }

  /**
   * The event as one JSON line, redacted: the same text `JSON.stringify` gives for the
   * redacted `CaptureEvent` (same keys, same order), written directly (the headers by the
   * redactor in its redaction pass). Called once, when the recorder drains; the copies it
   * read are let go with the recording.
   */
  line(): string {
    const { redactor } = this.#shared;
    const route = this.#route;
    const queryAt = this.#target.indexOf('?');
    const path = queryAt === -1 ? this.#target : this.#target.slice(0, queryAt);
    const search = queryAt === -1 ? '' : this.#target.slice(queryAt + 1);
    const declared = Number(this.#declaredLength);
    const requestSize =
      this.#requestSize > 0 || !Number.isSafeInteger(declared) || declared < 0
        ? this.#requestSize
        : declared;
    const query = search === '' ? '{}' : JSON.stringify(redactor.query(search));
    const requestBody =
      this.#request === undefined ? '' : bodyJson(redactor, this.#request.result());
    const responseBody =
      this.#response === undefined ? '' : bodyJson(redactor, this.#response.result());
    let line =
      `{"id":"${randomUUID()}","time":"${isoTime(this.#startedAt)}"` +
      `,"method":${jsonString((this.#method ?? 'GET').toUpperCase())}` +
      `,"path":${jsonString(redactor.path(path, route))}` +
      `,"route":${route === null ? 'null' : jsonString(route)}` +
      `,"status":${this.#status},"durationMs":${jsonHundredths(this.#durationMs)}` +
      `,"request":{"headers":${redactor.headersJson(this.#requestHeaders)},"query":${query}${requestBody}` +
      `,"size":${jsonNumber(requestSize)}}` +
      `,"response":{"headers":${redactor.headersJson(this.#responseHeaders ?? {})}${responseBody}` +
      `,"size":${jsonNumber(this.#responseSize)}}`;
    if (this.#caller !== undefined) {
      line += `,"caller":{"appId":${jsonString(redactor.text(this.#caller))}}`;
    }
    if (this.#user !== undefined) {
      line += `,"user":{"id":${jsonString(redactor.text(this.#user))}}`;
    }
    return `${line}}`;
  }
}

/** Node's `randomUUID` when there is one (no Web IDL checks on the way), else Web Crypto's. */
const nodeRandomUUID: (() => string) | undefined = (() => {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    const crypto = proc?.getBuiltinModule?.('node:crypto') as
      | { randomUUID?: () => string }
      | undefined;
    return typeof crypto?.randomUUID === 'function' ? crypto.randomUUID : undefined;
  } catch {
    return undefined;
  }
})();

function randomUUID(): string {
  return nodeRandomUUID !== undefined ? nodeRandomUUID() : globalThis.crypto.randomUUID();
}

/** `JSON.stringify(n)` of a number. */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * `JSON.stringify(ms)` of a duration rounded to hundredths, written from its integer hundredths
 * (integer to string is far cheaper than the shortest form of a double). Below 2^40 hundredths
 * two decimals name exactly one double, so the text is the one `JSON.stringify` writes.
 */
export function jsonHundredths(ms: number): string {
  const hundredths = Math.round(ms * 100);
  if (!(hundredths >= 0 && hundredths < 2 ** 40) || hundredths / 100 !== ms) return jsonNumber(ms);
  const whole = Math.floor(hundredths / 100);
  const fraction = hundredths - whole * 100;
  if (fraction === 0) return `${whole}`;
  if (fraction % 10 === 0) return `${whole}.${fraction / 10}`;
  return `${whole}.${fraction < 10 ? '0' : ''}${fraction}`;
}

/** `,"body":…` for a body that is in the event, or nothing. */
function bodyJson(redactor: CaptureRedactor, result: BodyResult | undefined): string {
  const body = bodyOf(redactor, result);
  if (body === NO_BODY) return '';
  const json = JSON.stringify(body);
  // `JSON.stringify` leaves out a key whose value it cannot write; so does the line.
  return json === undefined ? '' : `,"body":${json}`;
}

const NO_BODY: unique symbol = Symbol('no body');

function bodyOf(redactor: CaptureRedactor, result: BodyResult | undefined): unknown {
  if (result === undefined) return NO_BODY;
  if ('omitted' in result) return result.omitted;
  if ('form' in result) return redactor.query(result.form);
  return redactor.body(result.json);
}

function first(headers: CaptureEnd['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value === undefined ? undefined : String(value);
}

/** Header names in lowercase (Node gives them so already; a Web `Headers` copy too). */
export function lowercase(headers: CaptureEnd['headers']): CaptureEnd['headers'] {
  const out: CaptureEnd['headers'] = {};
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}
