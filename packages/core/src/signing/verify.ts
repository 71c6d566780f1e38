import { defaultBackend } from '../crypto/default';
import type { CryptoBackend, MaybePromise } from '../crypto/types';
import { isAuraError } from '../errors';
import { MemoryNonceStore, type NonceStore } from '../replay/nonce-store';
import { parseAuthorization } from './authorization';
import { canonicalPath, canonicalQuery, normalizeHeaderValue } from './canonical';
import { ALGORITHM, DEFAULT_SKEW_SECONDS, EMPTY_SHA256, SERVICE } from './constants';
import { utcDate } from './date';
import { signingKeyFor } from './signing-key-cache';

export interface VerifiableRequest {
  method: string;
  /** The raw request target: path and query exactly as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body bytes as received (never a re-serialised object). */
  body?: Uint8Array | string;
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
  | 'invalid_path'
  | 'invalid_signature'
  | 'app_not_allowed'
  | 'replayed_nonce'
  | 'nonce_store_unavailable'
  | 'secret_lookup_failed'
  | 'verifier_error';

export type VerifyFailure = { ok: false; status: number; code: VerifyFailureCode; message: string };
export type VerifyResult = { ok: true; appId: string } | VerifyFailure;

const TIMESTAMP = /^(?:0|[1-9][0-9]{0,11})$/;
const NONCE = /^[\x21-\x7e]{1,128}$/;
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;
// Used when the app id is unknown, so that unknown ids cost the same work as bad signatures.
const DECOY_SECRET = 'aura-verifier-decoy-secret';

let sharedNonceStore: MemoryNonceStore | undefined;

/** One in-memory store per process for verifiers given none, so replay protection is never off. */
function defaultNonceStore(): MemoryNonceStore {
  if (sharedNonceStore === undefined) sharedNonceStore = new MemoryNonceStore();
  return sharedNonceStore;
}

function failure(status: number, code: VerifyFailureCode, message: string): VerifyFailure {
  return { ok: false, status, code, message };
}

const BAD_SIGNATURE = () => failure(401, 'invalid_signature', 'signature does not match');

/** Constant-time comparison of two strings of equal, public length (hex signatures). */
function timingSafeEqualHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function collectHeaders(raw: VerifiableRequest['headers']): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  if (raw === null || typeof raw !== 'object') return headers;
  for (const name in raw) {
    if (!Object.hasOwn(raw, name)) continue;
    const value = raw[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    let list = headers.get(lower);
    if (list === undefined) {
      list = [];
      headers.set(lower, list);
    }
    if (Array.isArray(value)) {
      for (const v of value) list.push(String(v));
    } else {
      list.push(String(value));
    }
  }
  return headers;
}

async function lookupSecret(
  secrets: VerifyOptions['secrets'],
  appId: string,
): Promise<string | undefined> {
  const secret =
    typeof secrets === 'function'
      ? await secrets(appId)
      : Object.hasOwn(secrets, appId)
        ? secrets[appId]
        : undefined;
  return typeof secret === 'string' && secret !== '' ? secret : undefined;
}

/** `verifyRequest` with a given crypto backend. */
export async function verifyRequestWith(
  backend: CryptoBackend,
  request: VerifiableRequest,
  options: VerifyOptions,
): Promise<VerifyResult> {
  try {
    return await verify(backend, request, options);
  } catch (error) {
    // Only a bug gets here; deny rather than let an exception decide.
    return failure(
      500,
      'verifier_error',
      `verification failed unexpectedly: ${isAuraError(error) ? error.code : 'internal error'}`,
    );
  }
}

async function verify(
  backend: CryptoBackend,
  request: VerifiableRequest,
  options: VerifyOptions,
): Promise<VerifyResult> {
  // A NaN skew would disable the window check and make nonces expire at once (replays pass);
  // Infinity would do the first and keep nonces forever. Misconfiguration fails closed.
  const skew = options.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  if (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0) {
    return failure(
      500,
      'verifier_error',
      'skewSeconds must be a finite number of seconds, 0 or more',
    );
  }

  const headers = collectHeaders(request.headers);

  // Duplicates of the headers that decide the outcome are ambiguous: which one was signed?
  for (const [name, values] of headers) {
    if (
      values.length > 1 &&
      (name === 'authorization' || name === 'host' || name.startsWith('x-aura-'))
    ) {
      return failure(400, 'duplicate_header', `header ${name} appears more than once`);
    }
  }

  const authorization = headers.get('authorization')?.[0];
  if (authorization === undefined || authorization === '') {
    return failure(401, 'missing_authorization', `no Authorization header (expected ${ALGORITHM})`);
  }
  const parsed = parseAuthorization(authorization);
  if (!parsed.ok) return failure(401, parsed.code, parsed.message);

  const signed = new Set(parsed.signedHeaders);
  for (const required of ['host', 'x-aura-nonce', 'x-aura-timestamp']) {
    if (!signed.has(required)) {
      return failure(401, 'signed_headers_incomplete', `SignedHeaders must include ${required}`);
    }
  }
  for (const [name, values] of headers) {
    if (signed.has(name)) continue;
    if (name.startsWith('x-aura-')) {
      return failure(401, 'unsigned_header', `header ${name} is present but not signed`);
    }
    if (name === 'content-type' && values.some((v) => normalizeHeaderValue(v) !== '')) {
      return failure(401, 'unsigned_header', 'header content-type is present but not signed');
    }
  }

  let canonicalHeaders = '';
  const signedValues = new Map<string, string>();
  for (const name of parsed.signedHeaders) {
    const values = headers.get(name);
    const value = values === undefined ? '' : normalizeHeaderValue(values.join(','));
    if (value === '') {
      return failure(
        401,
        'signed_header_missing',
        `signed header ${name} is absent from the request`,
      );
    }
    signedValues.set(name, value);
    canonicalHeaders += `${name}:${value}\n`;
  }

  const timestamp = signedValues.get('x-aura-timestamp')!;
  // Tested on the value as received too, not only the normalised one: " 1" normalises to "1",
  // but docs/VERIFIER.md asks for a plain integer, and fail-closed means the raw value must be one.
  const rawTimestamp = headers.get('x-aura-timestamp')?.[0] ?? '';
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

  const nonce = signedValues.get('x-aura-nonce')!;
  if (!NONCE.test(nonce)) {
    return failure(401, 'invalid_nonce', 'X-Aura-Nonce must be 1 to 128 visible ASCII characters');
  }

  if (options.hosts !== undefined) {
    const host = signedValues.get('host')!.toLowerCase();
    if (!options.hosts.some((allowed) => allowed.toLowerCase() === host)) {
      return failure(
        401,
        'host_not_allowed',
        `the signed Host "${host.slice(0, 255)}" is not served here`,
      );
    }
  }

  // The raw target: origin-form, or absolute-form as a proxy would send it.
  let target = typeof request.url === 'string' ? request.url : '';
  const absolute = ABSOLUTE_FORM.exec(target);
  if (absolute !== null) target = target.slice(absolute[0].length);
  const hashAt = target.indexOf('#');
  if (hashAt !== -1) target = target.slice(0, hashAt);
  const queryAt = target.indexOf('?');
  let path: string;
  try {
    path = canonicalPath(queryAt === -1 ? target : target.slice(0, queryAt));
  } catch (error) {
    return failure(
      400,
      'invalid_path',
      isAuraError(error) ? error.message : 'request path is invalid',
    );
  }
  const rawQuery = queryAt === -1 ? '' : target.slice(queryAt + 1);
  const query = rawQuery === '' ? '' : canonicalQuery(rawQuery.split('&'));

  const body = request.body;
  let payloadHash: MaybePromise<string> =
    body === undefined || body.length === 0 ? EMPTY_SHA256 : backend.sha256Hex(body);
  if (typeof payloadHash !== 'string') payloadHash = await payloadHash;
  const method = String(request.method).toUpperCase();
  const canonicalRequest = `${method}\n${path}\n${query}\n${canonicalHeaders}\n${parsed.signedHeaders.join(';')}\n${payloadHash}`;

  let secret: string | undefined;
  try {
    secret = await lookupSecret(options.secrets, parsed.appId);
  } catch {
    return failure(503, 'secret_lookup_failed', 'the secret store could not be reached; try again');
  }

  const date = utcDate(Number(timestamp));
  const requestHash = await backend.sha256Hex(canonicalRequest);
  const key = await signingKeyFor(backend, secret ?? DECOY_SECRET, date);
  const stringToSign = `${ALGORITHM}\n${timestamp}\n${parsed.appId}/${date}/${SERVICE}\n${requestHash}`;
  const expected = await backend.hmacHex(key, stringToSign);
  const matches = timingSafeEqualHex(expected, parsed.signature);
  if (secret === undefined || !matches) return BAD_SIGNATURE();

  if (options.only !== undefined && !options.only.includes(parsed.appId)) {
    return failure(403, 'app_not_allowed', `app ${parsed.appId} may not call this endpoint`);
  }

  // Claimed only now, so that a forged request cannot use up a genuine client's nonce.
  const store = options.nonceStore ?? defaultNonceStore();
  let fresh: boolean;
  try {
    // A timestamp is accepted while floor(now / 1000) is within ±skew of it: a window of
    // 2 × skew + 1 whole seconds. Held only 2 × skew, a nonce first seen at the window's first
    // millisecond expired a second before the window closed, and could be replayed in it.
    fresh = await store.claim(parsed.appId, nonce, (2 * skew + 1) * 1000);
  } catch {
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
