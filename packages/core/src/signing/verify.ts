import { defaultBackend } from '../crypto/default';
import type { CryptoBackend, MaybePromise } from '../crypto/types';
import { isAuraError } from '../errors';
import { defaultNonceStore } from '../replay/default-store';
import type { NonceStore } from '../replay/nonce-store';
import { parseAuthorization } from './authorization';
import { canonicalPath, canonicalQuery, normalizeHeaderValue } from './canonical';
import {
  ALGORITHM,
  ALWAYS_SIGNED,
  DEFAULT_SKEW_SECONDS,
  DEFAULT_VERIFY_TIMEOUT_MS,
  EMPTY_SHA256,
  SERVICE,
} from './constants';
import { utcDate } from './date';
import { signingKeyFor } from './signing-key-cache';
import { parseTarget } from './target';

/**
 * An inbound request as the server received it. Shaped so that Node's `IncomingMessage` fits as
 * it is (`{ method: req.method, url: req.url, headers: req.headersDistinct, body }`): an absent
 * method or URL is refused (`invalid_method`, `invalid_path`), not a type error.
 */
export interface VerifiableRequest {
  /** The method as received; only RFC 9110 token characters, upper-cased as ASCII. */
  method: string | undefined;
  /**
   * The raw request target exactly as received: `/path?query` (origin-form) or
   * `http://host/path?query` (absolute-form, whose host must then be the signed `Host`). Its path
   * must already be canonical where servers disagree (no `\`, no `.`/`..` segment raw or
   * percent-encoded, no `//` inside it), else `invalid_path`: docs/VERIFIER.md.
   */
  url: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  /**
   * The raw body bytes as received: a `Uint8Array`/`Buffer`, any other `ArrayBufferView`, an
   * `ArrayBuffer`, or a string (hashed as UTF-8). Adapters pass bytes: a body decoded to a string
   * has already lost what it was (a lone `\ud800` and `\ufffd` decode alike), and a parsed,
   * re-serialised object never matches. Absent or empty means no body.
   */
  body?: Uint8Array | ArrayBufferView | ArrayBuffer | string | undefined;
}

export type SecretLookup = (appId: string) => string | undefined | Promise<string | undefined>;

export interface VerifyOptions {
  /** App id → secret, or a lookup (sync or async). Several client keys are simply several ids. */
  secrets: Record<string, string> | SecretLookup;
  /** Only these app ids may call; others are refused with 403 after their signature holds. */
  only?: string[];
  /** This service's own host names (with port when not the default); the signed Host must be one. */
  hosts?: string[];
  /** Accepted clock difference either way, in seconds (default 300). */
  skewSeconds?: number;
  /** Where accepted nonces are remembered (default: one in-memory store per process). */
  nonceStore?: NonceStore;
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
  /**
   * Deadline, in ms, for each answer awaited from outside the verifier: an asynchronous `secrets`
   * lookup (past it: 503 `secret_lookup_failed`) and an asynchronous `nonceStore.claim` (503
   * `nonce_store_unavailable`). Default 2000. The timer never keeps a process alive.
   */
  timeoutMs?: number;
}

export type VerifyFailureCode =
  | 'missing_authorization'
  | 'authorization_too_long'
  | 'unsupported_scheme'
  | 'malformed_authorization'
  | 'duplicate_header'
  | 'signed_headers_incomplete'
  | 'unsigned_header'
  | 'signed_header_missing'
  | 'invalid_timestamp'
  | 'timestamp_out_of_window'
  | 'invalid_nonce'
  | 'host_not_allowed'
  | 'invalid_method'
  | 'invalid_path'
  | 'invalid_signature'
  | 'app_not_allowed'
  | 'replayed_nonce'
  | 'nonce_store_unavailable'
  | 'nonce_store_full'
  | 'secret_lookup_failed'
  | 'verifier_error';

export type VerifyFailure = { ok: false; status: number; code: VerifyFailureCode; message: string };
export type VerifyResult = { ok: true; appId: string } | VerifyFailure;

const TIMESTAMP = /^(?:0|[1-9][0-9]{0,11})$/;
const NONCE = /^[\x21-\x7e]{1,128}$/;
// RFC 9110 token characters only: `toUpperCase` maps some non-ASCII letters to ASCII ones
// (`ſ` → `S`), so the method is checked before it is upper-cased, and then only ASCII remains.
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The secret used for an unknown app id: one per id, so that its signing key is derived and
 * cached per (app id, date) exactly as a real one is, and the first request for any id, known
 * or not, costs one key derivation. It needs no secrecy: an unknown id is refused whatever the
 * signature.
 */
function decoySecretFor(appId: string): string {
  return `aura-verifier-decoy:${appId}`;
}

function failure(status: number, code: VerifyFailureCode, message: string): VerifyFailure {
  return { ok: false, status, code, message };
}

const BAD_SIGNATURE = () => failure(401, 'invalid_signature', 'signature does not match');

/** `SignedHeaders` as signed: the two lists every signer sends are joined once, not per request. */
function signedHeaderList(names: readonly string[]): string {
  if (names.length === 3 && names[0] === 'host' && names[1] === 'x-aura-nonce') {
    return 'host;x-aura-nonce;x-aura-timestamp';
  }
  if (
    names.length === 4 &&
    names[0] === 'content-type' &&
    names[1] === 'host' &&
    names[2] === 'x-aura-nonce' &&
    names[3] === 'x-aura-timestamp'
  ) {
    return 'content-type;host;x-aura-nonce;x-aura-timestamp';
  }
  return names.join(';');
}

/** Constant-time comparison of two strings of equal, public length (hex signatures). */
function timingSafeEqualHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** A header's values: one string (the usual case, kept without an array) or several. */
type HeaderValues = string | string[];

function valueCount(values: HeaderValues): number {
  return typeof values === 'string' ? 1 : values.length;
}

function firstValue(values: HeaderValues | undefined): string | undefined {
  return typeof values === 'string' ? values : values?.[0];
}

/** The values of one header, lower-cased names merged (`Host` and `host` are one header). */
function collectHeaders(raw: VerifiableRequest['headers']): Map<string, HeaderValues> {
  const headers = new Map<string, HeaderValues>();
  if (raw === null || typeof raw !== 'object') return headers;
  for (const name in raw) {
    if (!Object.hasOwn(raw, name)) continue;
    const value = raw[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const held = headers.get(lower);
    if (held === undefined && !Array.isArray(value)) {
      headers.set(lower, String(value));
    } else if (held === undefined && value.length === 1) {
      headers.set(lower, String(value[0]));
    } else {
      const list = held === undefined ? [] : typeof held === 'string' ? [held] : held;
      if (Array.isArray(value)) {
        for (const v of value) list.push(String(v));
      } else {
        list.push(String(value));
      }
      headers.set(lower, list);
    }
  }
  return headers;
}

const TIMED_OUT: unique symbol = Symbol('timed out');
const STORE_FULL: unique symbol = Symbol('nonce store full');
const MAX_TIMER_MS = 2_147_483_647;

/**
 * `value` if it is not a promise (the common, synchronous case costs no timer), else the promise
 * raced against a deadline. The timer is cleared once the promise settles and unref'd where the
 * runtime allows, so a pending lookup never keeps the process alive.
 */
function within<T>(value: T | PromiseLike<T>, ms: number): T | Promise<T | typeof TIMED_OUT> {
  if (
    (typeof value !== 'object' && typeof value !== 'function') ||
    value === null ||
    typeof (value as PromiseLike<T>).then !== 'function'
  ) {
    return value as T;
  }
  return new Promise<T | typeof TIMED_OUT>((resolve, reject) => {
    const timer = setTimeout(() => resolve(TIMED_OUT), ms);
    (timer as { unref?: () => void }).unref?.();
    Promise.resolve(value).then(
      (settled) => {
        clearTimeout(timer);
        resolve(settled);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * The secret of `appId`, `undefined` if there is none, or `TIMED_OUT`: directly from a record or
 * a synchronous lookup (no microtask), as a promise only from an asynchronous one.
 */
function lookupSecret(
  secrets: VerifyOptions['secrets'],
  appId: string,
  timeoutMs: number,
): MaybePromise<string | undefined | typeof TIMED_OUT> {
  if (typeof secrets !== 'function') {
    return usableSecret(Object.hasOwn(secrets, appId) ? secrets[appId] : undefined);
  }
  const answer = within(secrets(appId), timeoutMs);
  return answer instanceof Promise ? answer.then(usableSecret) : usableSecret(answer);
}

function usableSecret(secret: unknown): string | undefined | typeof TIMED_OUT {
  if (secret === TIMED_OUT) return TIMED_OUT;
  return typeof secret === 'string' && secret !== '' ? secret : undefined;
}

function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}

/**
 * Why the options cannot be used as given, or `undefined`. Nothing is coerced: a string where a
 * list belongs would be searched with `String.prototype.includes` (`'partner-app-2'` includes
 * `'partner-app'`), so every option must be exactly what it says.
 */
function optionsProblem(options: VerifyOptions): string | undefined {
  if (options === null || typeof options !== 'object') return 'options must be an object';
  const { secrets, only, hosts, nonceStore, now } = options;
  if (typeof secrets !== 'function' && (typeof secrets !== 'object' || secrets === null)) {
    return 'secrets must be an object of app id → secret, or a lookup function';
  }
  if (only !== undefined && !isStringArray(only)) return 'only must be an array of app id strings';
  if (hosts !== undefined && !isStringArray(hosts))
    return 'hosts must be an array of host name strings';
  if (
    nonceStore !== undefined &&
    (nonceStore === null || typeof (nonceStore as { claim?: unknown }).claim !== 'function')
  ) {
    return 'nonceStore must have a claim(appId, nonce, ttlMs) method';
  }
  if (now !== undefined && typeof now !== 'function') return 'now must be a function';
  // A NaN skew would disable the window check and make nonces expire at once (replays pass);
  // Infinity would do the first and keep nonces forever. Misconfiguration fails closed.
  const skew = options.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  if (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0) {
    return 'skewSeconds must be a finite number of seconds, 0 or more';
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
  // Timers take at most 2^31 - 1 ms; a longer delay fires at once (Node warns, browsers too).
  if (
    typeof timeoutMs !== 'number' ||
    !Number.isFinite(timeoutMs) ||
    timeoutMs <= 0 ||
    timeoutMs > MAX_TIMER_MS
  ) {
    return `timeoutMs must be a number of milliseconds above 0 and at most ${MAX_TIMER_MS}`;
  }
  return undefined;
}

/** The body as bytes or a string, whatever form of bytes it came in; `false` if it is not bytes. */
function payloadOf(body: unknown): string | Uint8Array | undefined | false {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (ArrayBuffer.isView(body))
    return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  // Tested by tag too, so that a buffer from another realm (a vm context, a worker) is bytes.
  const tag = Object.prototype.toString.call(body);
  if (tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]') {
    return new Uint8Array(body as ArrayBuffer);
  }
  return false;
}

/** `verifyRequest` with a given crypto backend. */
export function verifyRequestWith(
  backend: CryptoBackend,
  request: VerifiableRequest,
  options: VerifyOptions,
): Promise<VerifyResult> {
  // `verify` is async, so whatever it throws arrives as a rejection, answered here.
  return verify(backend, request, options).catch(unexpectedFailure);
}

/** Only a bug gets here; deny rather than let an exception decide. */
function unexpectedFailure(error: unknown): VerifyFailure {
  return failure(
    500,
    'verifier_error',
    `verification failed unexpectedly: ${isAuraError(error) ? error.code : 'internal error'}`,
  );
}

async function verify(
  backend: CryptoBackend,
  request: VerifiableRequest,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const misconfigured = optionsProblem(options);
  if (misconfigured !== undefined) return failure(500, 'verifier_error', misconfigured);
  const skew = options.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
  if (request === null || typeof request !== 'object') {
    return failure(500, 'verifier_error', 'the request to verify must be an object');
  }

  const rawMethod = request.method;
  if (typeof rawMethod !== 'string' || !METHOD.test(rawMethod)) {
    return failure(
      400,
      'invalid_method',
      rawMethod === undefined || rawMethod === ''
        ? 'the request has no method'
        : "the request method must be an RFC 9110 token (ASCII letters, digits and !#$%&'*+-.^_`|~)",
    );
  }
  const method = rawMethod.toUpperCase();

  // The target, before any signature work: its path must read the same to every router.
  const target = parseTarget(request.url);
  if (!target.ok) return failure(400, 'invalid_path', target.message);
  let path: string;
  try {
    path = canonicalPath(target.path);
  } catch (error) {
    return failure(
      400,
      'invalid_path',
      isAuraError(error) ? error.message : 'request path is invalid',
    );
  }

  const payload = payloadOf(request.body);
  if (payload === false) {
    return failure(
      500,
      'verifier_error',
      'the request body must be the raw bytes received (Uint8Array, ArrayBuffer or a view) or a string, never a parsed value',
    );
  }

  const headers = collectHeaders(request.headers);

  // Duplicates of the headers that decide the outcome are ambiguous: which one was signed?
  // Keys, then a lookup: iterating entries would allocate a pair per header.
  for (const name of headers.keys()) {
    if (
      (name === 'authorization' || name === 'host' || name.startsWith('x-aura-')) &&
      valueCount(headers.get(name)!) > 1
    ) {
      return failure(400, 'duplicate_header', `header ${name} appears more than once`);
    }
  }

  const authorization = firstValue(headers.get('authorization'));
  if (authorization === undefined || authorization === '') {
    return failure(401, 'missing_authorization', `no Authorization header (expected ${ALGORITHM})`);
  }
  const parsed = parseAuthorization(authorization);
  if (!parsed.ok) return failure(401, parsed.code, parsed.message);

  // A handful of names: an array search beats building a Set per request.
  const signed = parsed.signedHeaders;
  for (const required of ALWAYS_SIGNED) {
    if (!signed.includes(required)) {
      return failure(401, 'signed_headers_incomplete', `SignedHeaders must include ${required}`);
    }
  }
  for (const name of headers.keys()) {
    if (signed.includes(name)) continue;
    const values = headers.get(name)!;
    if (name.startsWith('x-aura-')) {
      return failure(401, 'unsigned_header', `header ${name} is present but not signed`);
    }
    if (
      name === 'content-type' &&
      (typeof values === 'string'
        ? normalizeHeaderValue(values) !== ''
        : values.some((v) => normalizeHeaderValue(v) !== ''))
    ) {
      return failure(401, 'unsigned_header', 'header content-type is present but not signed');
    }
  }

  let canonicalHeaders = '';
  // Every one of them is signed (checked above), so each is set by the loop.
  let timestamp = '';
  let nonce = '';
  let signedHost = '';
  for (const name of signed) {
    const values = headers.get(name);
    const value =
      values === undefined
        ? ''
        : normalizeHeaderValue(typeof values === 'string' ? values : values.join(','));
    if (value === '') {
      return failure(
        401,
        'signed_header_missing',
        `signed header ${name} is absent from the request`,
      );
    }
    if (name === 'x-aura-timestamp') timestamp = value;
    else if (name === 'x-aura-nonce') nonce = value;
    else if (name === 'host') signedHost = value;
    canonicalHeaders += `${name}:${value}\n`;
  }

  // Tested on the value as received too, not only the normalised one: " 1" normalises to "1",
  // but docs/VERIFIER.md asks for a plain integer, and fail-closed means the raw value must be one.
  const rawTimestamp = firstValue(headers.get('x-aura-timestamp')) ?? '';
  if (!TIMESTAMP.test(timestamp) || rawTimestamp !== timestamp) {
    return failure(
      401,
      'invalid_timestamp',
      'X-Aura-Timestamp must be whole Unix seconds as plain digits',
    );
  }
  const nowMs = (options.now ?? Date.now)();
  // A clock answering NaN would make both window comparisons false, i.e. let every timestamp in.
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) {
    return failure(
      500,
      'verifier_error',
      'the verifier clock (now) did not answer a finite number',
    );
  }
  const drift = Number(timestamp) - Math.floor(nowMs / 1000);
  if (drift > skew || drift < -skew) {
    return failure(
      401,
      'timestamp_out_of_window',
      `X-Aura-Timestamp is ${Math.abs(drift)} s ${drift > 0 ? 'ahead of' : 'behind'} the server clock (allowed: ${skew} s)`,
    );
  }

  if (!NONCE.test(nonce)) {
    return failure(401, 'invalid_nonce', 'X-Aura-Nonce must be 1 to 128 visible ASCII characters');
  }

  const host = signedHost.toLowerCase();
  if (options.hosts !== undefined) {
    if (!options.hosts.some((allowed) => allowed.toLowerCase() === host)) {
      return failure(
        401,
        'host_not_allowed',
        `the signed Host "${host.slice(0, 255)}" is not served here`,
      );
    }
  }
  // An absolute-form target names the host it is meant for; the signature only covers the
  // Host header, so the two must be the same host, or a proxy could route it elsewhere.
  if (target.authority !== undefined && target.authority.toLowerCase() !== host) {
    return failure(
      401,
      'host_not_allowed',
      `the request target names host "${target.authority.slice(0, 255)}", not the signed Host "${host.slice(0, 255)}"`,
    );
  }

  const query = target.query === '' ? '' : canonicalQuery(target.query.split('&'));

  let payloadHash: MaybePromise<string> =
    payload === undefined || payload.length === 0 ? EMPTY_SHA256 : backend.sha256Hex(payload);
  if (typeof payloadHash !== 'string') payloadHash = await payloadHash;
  const canonicalRequest = `${method}\n${path}\n${query}\n${canonicalHeaders}\n${signedHeaderList(signed)}\n${payloadHash}`;

  let secret: string | undefined | typeof TIMED_OUT;
  try {
    const found = lookupSecret(options.secrets, parsed.appId, timeoutMs);
    secret = found instanceof Promise ? await found : found;
  } catch {
    secret = TIMED_OUT;
  }
  if (secret === TIMED_OUT) {
    return failure(503, 'secret_lookup_failed', 'the secret store could not be reached; try again');
  }

  const date = utcDate(Number(timestamp));
  // With a synchronous backend nothing below waits: a microtask per step would be pure cost.
  let requestHash = backend.sha256Hex(canonicalRequest);
  if (typeof requestHash !== 'string') requestHash = await requestHash;
  let key = signingKeyFor(backend, secret ?? decoySecretFor(parsed.appId), date);
  if (key instanceof Promise) key = await key;
  const stringToSign = `${ALGORITHM}\n${timestamp}\n${parsed.appId}/${date}/${SERVICE}\n${requestHash}`;
  let expected = backend.hmacHex(key, stringToSign);
  if (typeof expected !== 'string') expected = await expected;
  const matches = timingSafeEqualHex(expected, parsed.signature);
  if (secret === undefined || !matches) return BAD_SIGNATURE();

  if (options.only !== undefined && !options.only.includes(parsed.appId)) {
    return failure(403, 'app_not_allowed', `app ${parsed.appId} may not call this endpoint`);
  }

  // Claimed only now, so that a forged request cannot use up a genuine client's nonce.
  const store = options.nonceStore ?? defaultNonceStore();
  let fresh: boolean | typeof TIMED_OUT | typeof STORE_FULL;
  try {
    // A timestamp is accepted while floor(now / 1000) is within ±skew of it: a window of
    // 2 × skew + 1 whole seconds. Held only 2 × skew, a nonce first seen at the window's first
    // millisecond expired a second before the window closed, and could be replayed in it.
    const claimed = within(store.claim(parsed.appId, nonce, (2 * skew + 1) * 1000), timeoutMs);
    fresh = claimed instanceof Promise ? await claimed : claimed;
  } catch (error) {
    fresh = isAuraError(error, 'nonce_store_full') ? STORE_FULL : TIMED_OUT;
  }
  if (fresh === STORE_FULL) {
    return failure(
      503,
      'nonce_store_full',
      'the nonce store is at its memory budget and cannot take another nonce; try again',
    );
  }
  if (fresh === TIMED_OUT) {
    return failure(
      503,
      'nonce_store_unavailable',
      'the nonce store could not be reached; try again',
    );
  }
  if (fresh !== true) return failure(401, 'replayed_nonce', 'this nonce was already used');
  return { ok: true, appId: parsed.appId };
}

/**
 * Verifies an inbound AURA-HMAC-SHA256 request, failing closed. Never throws: every failure is
 * `{ ok: false, status, code, message }`, and no message holds a secret or the expected signature.
 */
export function verifyRequest(
  request: VerifiableRequest,
  options: VerifyOptions,
): Promise<VerifyResult> {
  return verifyRequestWith(defaultBackend, request, options);
}
