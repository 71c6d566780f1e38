/**
 * One request being recorded. A class, not a set of closures: a busy server makes one per
 * request, and methods on the prototype cost nothing to create.
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
  /** Takes the finished, redacted event as its JSON line (the queue). */
  enqueue(line: string): void;
  /** An event that could not be built. */
  failed(error: unknown): void;
}

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
  /** Redacted (and written as JSON) at once: the application may change its request later. */
  readonly #requestHeaders: string;
  /** The declared `Content-Length`, for a body that was never read. */
  readonly #declaredLength: string | undefined;
  /** Only with bodies on; without, sizes are all there is to count. */
  readonly #request: BodyTee | undefined;
  readonly #response: BodyTee | undefined;
  #requestSize = 0;
  #responseSize = 0;
  #described = false;
  #done = false;

  constructor(shared: RecordingShared, meta: CaptureRequestMeta) {
    this.#shared = shared;
    this.#method = meta.method;
    this.#target = meta.url ?? '/';
    this.#requestHeaders = shared.redactor.headersJson(meta.headers);
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

  end(end: CaptureEnd): void {
    if (this.#done) return;
    this.#done = true;
    try {
      this.#shared.enqueue(this.#line(end));
    } catch (error) {
      this.#shared.failed(error);
    }
  }

  #describeResponse(headers: CaptureEnd['headers']): void {
    this.#described = true;
    this.#response?.describe(first(headers, 'content-type'), first(headers, 'content-encoding'));
  }

  /**
   * The event as one JSON line, the same text `JSON.stringify` gives for `CaptureEvent` (same
   * keys, same order), written directly: the headers come already written by the redactor,
   * and `JSON.stringify` of a whole event was the largest cost of a request's capture.
   */
  #line(end: CaptureEnd): string {
    const { redactor } = this.#shared;
    if (!this.#described && this.#response !== undefined) {
      this.#describeResponse(lowercase(end.headers));
    }
    const route = typeof end.route === 'string' && end.route !== '' ? end.route : null;
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
    const status = Number.isSafeInteger(end.status) ? end.status : 0;
    const durationMs = Math.round((now() - this.#started) * 100) / 100;
    let line =
      `{"id":"${globalThis.crypto.randomUUID()}","time":"${isoTime(this.#startedAt)}"` +
      `,"method":${jsonString((this.#method ?? 'GET').toUpperCase())}` +
      `,"path":${jsonString(redactor.path(path, route))}` +
      `,"route":${route === null ? 'null' : jsonString(route)}` +
      `,"status":${status},"durationMs":${jsonNumber(durationMs)}` +
      `,"request":{"headers":${this.#requestHeaders},"query":${query}${requestBody}` +
      `,"size":${jsonNumber(requestSize)}}` +
      `,"response":{"headers":${redactor.headersJson(end.headers)}${responseBody}` +
      `,"size":${jsonNumber(this.#responseSize)}}`;
    if (end.caller !== undefined && typeof end.caller.appId === 'string') {
      line += `,"caller":{"appId":${jsonString(redactor.text(end.caller.appId))}}`;
    }
    const user = typeof end.user === 'string' ? end.user : end.user?.id;
    if (typeof user === 'string' && user !== '') {
      line += `,"user":{"id":${jsonString(redactor.text(user))}}`;
    }
    return `${line}}`;
  }
}

/** `JSON.stringify(n)` of a number. */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
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
