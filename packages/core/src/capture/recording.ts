/**
 * One request being recorded. A class, not a set of closures: a busy server makes one per
 * request, and methods on the prototype cost nothing to create.
 */
import { headerValue } from '../server/http';
import { type BodyResult, BodyTee } from './body';
import type { CaptureRedactor } from './redact';
import type { CaptureEnd, CaptureEvent, CaptureHandle, CaptureRequestMeta } from './types';

/** What every recording shares: set once per recorder. */
export interface RecordingShared {
  bodies: boolean;
  maxBodyBytes: number;
  redactor: CaptureRedactor;
  /** Takes the finished, redacted event (the queue). */
  enqueue(event: CaptureEvent): void;
  /** An event that could not be built. */
  failed(error: unknown): void;
}

/** Milliseconds since an arbitrary origin, monotonic where the platform has `performance`. */
export const now = (): number => globalThis.performance?.now() ?? Date.now();

export class Recording implements CaptureHandle {
  readonly #shared: RecordingShared;
  readonly #started = now();
  readonly #startedAt = Date.now();
  readonly #method: string | undefined;
  readonly #target: string;
  readonly #headers: CaptureRequestMeta['headers'];
  readonly #request: BodyTee;
  readonly #response: BodyTee;
  #described = false;
  #done = false;

  constructor(shared: RecordingShared, meta: CaptureRequestMeta) {
    this.#shared = shared;
    this.#method = meta.method;
    this.#target = meta.url ?? '/';
    // Copied now: the application may change its request object later.
    this.#headers = { ...meta.headers };
    this.#request = new BodyTee(shared.bodies, shared.maxBodyBytes);
    this.#response = new BodyTee(shared.bodies, shared.maxBodyBytes);
    if (shared.bodies) {
      this.#request.describe(
        headerValue(this.#headers, 'content-type'),
        headerValue(this.#headers, 'content-encoding'),
      );
    }
  }

  requestChunk(bytes: Uint8Array | number): void {
    if (this.#done) return;
    try {
      this.#request.push(bytes);
    } catch {
      // counting a chunk cannot fail; nothing may escape into the stream either way
    }
  }

  responseHeaders(headers: CaptureEnd['headers']): void {
    if (this.#done || this.#described) return;
    try {
      this.#describeResponse(lowercase(headers));
    } catch {
      // never into the host
    }
  }

  responseChunk(bytes: Uint8Array | number): void {
    if (this.#done) return;
    try {
      this.#response.push(bytes);
    } catch {
      // never into the host
    }
  }

  end(end: CaptureEnd): void {
    if (this.#done) return;
    this.#done = true;
    try {
      this.#shared.enqueue(this.#event(end));
    } catch (error) {
      this.#shared.failed(error);
    }
  }

  #describeResponse(headers: CaptureEnd['headers']): void {
    this.#described = true;
    if (!this.#shared.bodies) return;
    this.#response.describe(first(headers, 'content-type'), first(headers, 'content-encoding'));
  }

  #event(end: CaptureEnd): CaptureEvent {
    const { redactor } = this.#shared;
    const responseHeaders = lowercase(end.headers);
    if (!this.#described) this.#describeResponse(responseHeaders);
    const route = typeof end.route === 'string' && end.route !== '' ? end.route : null;
    const queryAt = this.#target.indexOf('?');
    const path = queryAt === -1 ? this.#target : this.#target.slice(0, queryAt);
    const search = queryAt === -1 ? '' : this.#target.slice(queryAt + 1);
    const declared = Number(headerValue(this.#headers, 'content-length'));
    const requestSize =
      this.#request.size > 0 || !Number.isSafeInteger(declared) || declared < 0
        ? this.#request.size
        : declared;
    const event: CaptureEvent = {
      id: globalThis.crypto.randomUUID(),
      time: new Date(this.#startedAt).toISOString(),
      method: (this.#method ?? 'GET').toUpperCase(),
      path: redactor.path(path, route),
      route,
      status: Number.isSafeInteger(end.status) ? end.status : 0,
      durationMs: Math.round((now() - this.#started) * 100) / 100,
      request: {
        headers: redactor.headers(this.#headers),
        query: search === '' ? {} : redactor.query(search),
        ...bodyFor(redactor, this.#request.result()),
        size: requestSize,
      },
      response: {
        headers: redactor.headers(responseHeaders),
        ...bodyFor(redactor, this.#response.result()),
        size: this.#response.size,
      },
    };
    if (end.caller !== undefined && typeof end.caller.appId === 'string') {
      event.caller = { appId: redactor.text(end.caller.appId) };
    }
    const user = typeof end.user === 'string' ? end.user : end.user?.id;
    if (typeof user === 'string' && user !== '') event.user = { id: redactor.text(user) };
    return event;
  }
}

function bodyFor(redactor: CaptureRedactor, result: BodyResult | undefined): { body?: unknown } {
  if (result === undefined) return {};
  if ('omitted' in result) return { body: result.omitted };
  if ('form' in result) return { body: redactor.query(result.form) };
  return { body: redactor.body(result.json) };
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
