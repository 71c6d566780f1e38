import { defaultBackend } from '../crypto/default';
import type { CryptoBackend, MaybePromise, SigningKey } from '../crypto/types';
import { AuraError } from '../errors';
import { formatAuthorization } from './authorization';
import { bodyBytes } from './body';
import {
  canonicalPath,
  canonicalQuery,
  encodeQueryMap,
  normalizeHeaderValue,
  wireQuery,
} from './canonical';
import { ALGORITHM, EMPTY_SHA256, MAX_TIMESTAMP, SERVICE } from './constants';
import { utcDate } from './date';
import { signingKeyFor } from './signing-key-cache';

export interface SigningCredentials {
  appId: string;
  appSecret: string;
}

export type QueryValue = string | number | boolean;

export interface SignableRequest {
  method: string;
  /** A path (`/auth/exchange`, joined to `baseUrl`) or an absolute `http(s)://` URL. */
  url: string;
  baseUrl?: string;
  /** `undefined` values are skipped, as if the header were not given. */
  headers?: Record<string, string | undefined>;
  /** Extra query parameters, appended to the URL's own. */
  query?: Record<string, QueryValue | undefined>;
  /**
   * A string (sent as UTF-8), bytes, or any JSON value (sent as its `JSON.stringify`).
   * `undefined` and `null` mean no body.
   */
  body?: unknown;
}

/**
 * The third argument of `signRequest` and `explainSignature`: fixes what is otherwise fresh on
 * every call, for reproducing a signature (a test vector, a server's complaint) exactly.
 */
export interface SignOptions {
  /** Unix time in whole seconds; defaults to now. */
  timestamp?: number | string;
  /** Defaults to a fresh UUID v4. */
  nonce?: string;
}

/**
 * The bytes of a signed body: a string (sent as UTF-8) or bytes backed by a plain
 * `ArrayBuffer`, which is what `fetch`'s `BodyInit` accepts in both the DOM and Node typings.
 */
export type SignedBody = string | Uint8Array<ArrayBuffer>;

/**
 * What to send. Passable to `fetch` as it is: `fetch(signed.url, signed)`.
 */
export interface SignedRequest {
  /**
   * The URL to send: the origin (from an absolute `url` or `baseUrl`) and exactly the path and
   * query that were signed. Only a path when no origin was given (a `Host` header instead).
   */
  url: string;
  method: string;
  headers: Record<string, string>;
  /** Exactly the bytes that were hashed; send these, not the original body. Absent: no body. */
  body?: SignedBody;
}

export interface SignatureExplanation {
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
  payloadHash: string;
  credentialScope: string;
  signature: string;
}

interface Computed extends SignatureExplanation {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: SignedBody | undefined;
}

// Plain JavaScript callers get no type check: a key the signer does not read would otherwise be
// ignored without a word (a `timestamp` in the request is not signed with).
const REQUEST_KEYS: ReadonlySet<string> = new Set([
  'method',
  'url',
  'baseUrl',
  'headers',
  'query',
  'body',
]);
const OPTION_KEYS: ReadonlySet<string> = new Set(['timestamp', 'nonce']);

function refuseUnknownKeys(request: SignableRequest, options: SignOptions | undefined): void {
  for (const key in request) {
    if (REQUEST_KEYS.has(key) || !Object.hasOwn(request, key)) continue;
    const hint = OPTION_KEYS.has(key)
      ? `${key} is an option: pass it in the third argument, signRequest(credentials, request, { ${key} })`
      : 'a request has method, url, baseUrl, headers, query and body';
    throw new AuraError('invalid_argument', `unknown request field "${key}": ${hint}`);
  }
  if (options === undefined || options === null) return;
  for (const key in options) {
    if (OPTION_KEYS.has(key) || !Object.hasOwn(options, key)) continue;
    const hint = REQUEST_KEYS.has(key)
      ? `${key} belongs in the request (the second argument)`
      : 'the options are timestamp and nonce';
    throw new AuraError('invalid_argument', `unknown signing option "${key}": ${hint}`);
  }
}

const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// CR, LF and NUL would split or truncate the header on the wire; beyond U+00FF is not a byte.
const BAD_HEADER_VALUE = /[\r\n\0]|[^\x00-\xff]/;
const NONCE = /^[\x21-\x7e]{1,128}$/;
const TIMESTAMP = /^(?:0|[1-9][0-9]{0,11})$/;
const APP_ID = /^[\x21-\x7e]+$/;
const ABSOLUTE = /^https?:\/\//i;
const OTHER_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const CONTROL = /[\x00-\x1f\x7f]/;

interface Origin {
  /** `scheme://host[:port]`, as a WHATWG URL serialises it. */
  origin: string;
  /** What `fetch` sends as `Host`. */
  host: string;
  /** A base URL's path without its trailing `/`; empty for an absolute URL's origin. */
  basePath: string;
}

// Parsing a URL is the costliest step of signing; origins and base URLs repeat, so each is
// parsed once (bounded, oldest dropped first).
const ORIGIN_CACHE_MAX = 256;
const originCache = new Map<string, Origin>();

function parseOrigin(input: string, what: 'url' | 'baseUrl'): Origin {
  const cached = originCache.get(input);
  if (cached !== undefined) return cached;
  let parsed: URL;
  try {
    parsed = new URL(input);
  } catch (cause) {
    throw new AuraError('invalid_url', `${what} "${input}" is not a valid URL`, { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AuraError('invalid_url', `${what} must use http or https (got "${parsed.protocol}")`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new AuraError('invalid_url', `${what} must not carry credentials (user:password@)`);
  }
  if (what === 'baseUrl' && (parsed.search !== '' || parsed.hash !== '')) {
    throw new AuraError('invalid_url', `baseUrl "${input}" must not have a query or fragment`);
  }
  const basePath = what === 'baseUrl' ? parsed.pathname.replace(/\/+$/, '') : '';
  const origin: Origin = { origin: parsed.origin, host: parsed.host, basePath };
  if (originCache.size >= ORIGIN_CACHE_MAX) originCache.delete(originCache.keys().next().value!);
  originCache.set(input, origin);
  return origin;
}

function checkTimestamp(timestamp: number | string | undefined): string {
  if (timestamp === undefined) return String(Math.floor(Date.now() / 1000));
  const text = typeof timestamp === 'number' ? String(timestamp) : timestamp;
  if (
    (typeof timestamp === 'number' && !Number.isSafeInteger(timestamp)) ||
    !TIMESTAMP.test(text) ||
    Number(text) > MAX_TIMESTAMP
  ) {
    throw new AuraError(
      'invalid_timestamp',
      `timestamp must be whole Unix seconds between 0 and ${MAX_TIMESTAMP} (got ${JSON.stringify(timestamp)}; milliseconds?)`,
    );
  }
  return text;
}

// The last app id found valid: a signer signs with one, so most calls skip the checks.
let checkedAppId: string | undefined;

function checkCredentials(appId: unknown, appSecret: unknown): void {
  if (appId !== checkedAppId) {
    if (
      typeof appId !== 'string' ||
      !APP_ID.test(appId) ||
      appId.includes(',') ||
      appId.includes('/')
    ) {
      throw new AuraError(
        'invalid_credentials',
        'appId must be a non-empty string of visible ASCII without "," or "/"',
      );
    }
    checkedAppId = appId;
  }
  if (typeof appSecret !== 'string' || appSecret === '') {
    throw new AuraError('invalid_credentials', 'appSecret must be a non-empty string');
  }
}

/** What a request's `url` and `baseUrl` resolve to; depends on nothing else, so it is cached. */
interface Target {
  origin: Origin | undefined;
  /** Canonical path. */
  path: string;
  /** The URL's own query as it goes on the wire. */
  ownQuery: string;
}

// Clients call the same few endpoints: each (baseUrl, url) is resolved and checked once
// (bounded, oldest base dropped first; a base's URLs likewise).
const TARGET_CACHE_BASES = 64;
const TARGET_CACHE_URLS = 512;
const targetCache = new Map<string, Map<string, Target>>();
const SIGNER_PATH_RULES = { refuseEncodedDots: true } as const;

function targetOf(url: unknown, baseUrl: unknown): Target {
  // Only string pairs are cached; anything else is checked (and refused) every time.
  const cacheable =
    typeof url === 'string' && (baseUrl === undefined || typeof baseUrl === 'string');
  const baseKey = cacheable ? ((baseUrl as string | undefined) ?? '') : '';
  const urls = cacheable ? targetCache.get(baseKey) : undefined;
  const cached = urls?.get(url as string);
  if (cached !== undefined) return cached;
  const target = resolveTarget(url, baseUrl);
  if (cacheable) {
    let map = urls;
    if (map === undefined) {
      if (targetCache.size >= TARGET_CACHE_BASES) {
        targetCache.delete(targetCache.keys().next().value!);
      }
      map = new Map();
      targetCache.set(baseKey, map);
    }
    if (map.size >= TARGET_CACHE_URLS) map.delete(map.keys().next().value!);
    map.set(url as string, target);
  }
  return target;
}

/** Resolves and checks a request's `url` against its `baseUrl` (docs/PROTOCOL.md steps 5, 6). */
function resolveTarget(url: unknown, baseUrl: unknown): Target {
  if (typeof url !== 'string') {
    throw new AuraError('invalid_url', `url must be a string (got ${typeof url})`);
  }
  let target = url;
  if (CONTROL.test(target)) {
    throw new AuraError('invalid_url', 'url must not contain control characters');
  }
  // A fragment never goes on the wire.
  const hashAt = target.indexOf('#');
  if (hashAt !== -1) target = target.slice(0, hashAt);

  let origin: Origin | undefined;
  let rawPath: string;
  const queryAt = target.indexOf('?');
  const beforeQuery = queryAt === -1 ? target : target.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? '' : target.slice(queryAt + 1);
  if (ABSOLUTE.test(beforeQuery)) {
    const pathAt = beforeQuery.indexOf('/', beforeQuery.indexOf('//') + 2);
    origin = parseOrigin(pathAt === -1 ? beforeQuery : beforeQuery.slice(0, pathAt), 'url');
    rawPath = pathAt === -1 ? '/' : beforeQuery.slice(pathAt);
  } else if (OTHER_SCHEME.test(beforeQuery)) {
    throw new AuraError('invalid_url', `url must be a path or an http(s) URL (got "${target}")`);
  } else if (baseUrl !== undefined && baseUrl !== '') {
    if (typeof baseUrl !== 'string' || !ABSOLUTE.test(baseUrl)) {
      throw new AuraError(
        'invalid_url',
        `baseUrl must be an absolute http(s) URL (got ${JSON.stringify(baseUrl)})`,
      );
    }
    origin = parseOrigin(baseUrl, 'baseUrl');
    rawPath = beforeQuery.startsWith('/')
      ? origin.basePath + beforeQuery
      : `${origin.basePath}/${beforeQuery}`;
  } else {
    rawPath = beforeQuery;
  }
  const path = canonicalPath(rawPath, SIGNER_PATH_RULES);

  const ownQuery = wireQuery(rawQuery);
  return { origin, path, ownQuery };
}

function compute(
  backend: CryptoBackend,
  credentials: SigningCredentials,
  request: SignableRequest,
  options: SignOptions | undefined,
): MaybePromise<Computed> {
  const { appId, appSecret } = credentials ?? ({} as SigningCredentials);
  checkCredentials(appId, appSecret);

  const rawMethod = request?.method;
  if (typeof rawMethod !== 'string' || !METHOD.test(rawMethod)) {
    throw new AuraError(
      'invalid_method',
      `method must be an HTTP method token (got ${JSON.stringify(rawMethod)})`,
    );
  }
  const method = rawMethod.toUpperCase();
  refuseUnknownKeys(request, options);

  const timestamp = checkTimestamp(options?.timestamp);
  const givenNonce = options?.nonce;
  const nonce = givenNonce ?? backend.randomUUID();
  // Only a caller's nonce needs checking; a generated UUID is valid by construction.
  if (givenNonce !== undefined && (typeof givenNonce !== 'string' || !NONCE.test(givenNonce))) {
    throw new AuraError('invalid_nonce', 'nonce must be 1 to 128 visible ASCII characters');
  }

  // --- Target: origin, path, query (docs/PROTOCOL.md steps 5 and 6). ---
  const { origin, path, ownQuery } = targetOf(request.url, request.baseUrl);
  const extraPieces = request.query === undefined ? [] : encodeQueryMap(request.query);
  const sentQuery =
    extraPieces.length === 0
      ? ownQuery
      : ownQuery === ''
        ? extraPieces.join('&')
        : `${ownQuery}&${extraPieces.join('&')}`;
  const queryPieces = ownQuery === '' ? extraPieces : ownQuery.split('&').concat(extraPieces);
  const query = canonicalQuery(queryPieces);

  // --- Headers (docs/PROTOCOL.md steps 2 to 4). ---
  const headers: Record<string, string> = {};
  let host: string | undefined;
  let contentType: string | undefined;
  // Lowercase names seen so far, for case-insensitive duplicates; requests carry few headers,
  // so a short array beats allocating a Set on every signature.
  const seen: string[] = [];
  const given = request.headers;
  if (given !== undefined) {
    for (const name in given) {
      if (!Object.hasOwn(given, name)) continue;
      const value = given[name];
      if (value === undefined) continue;
      if (!HEADER_NAME.test(name)) {
        throw new AuraError('invalid_header', `"${name}" is not a valid header name`);
      }
      if (typeof value !== 'string') {
        throw new AuraError(
          'invalid_header',
          `header ${name} must be a string (got ${typeof value})`,
        );
      }
      if (BAD_HEADER_VALUE.test(value)) {
        throw new AuraError(
          'invalid_header',
          `header ${name} holds a line break, NUL or a character beyond U+00FF`,
        );
      }
      const lower = name.toLowerCase();
      if (seen.includes(lower)) {
        throw new AuraError(
          'invalid_header',
          `header ${name} is given twice (names are case-insensitive)`,
        );
      }
      seen.push(lower);
      if (lower === 'host') host = value;
      else if (lower === 'content-type') contentType = value;
      else if (lower === 'authorization' || lower.startsWith('x-aura-')) {
        throw new AuraError(
          'invalid_header',
          `header ${name} is set by the signer; pass timestamp and nonce as options, and no Authorization`,
        );
      }
      headers[name] = value;
    }
  }

  if (host === undefined) {
    if (origin === undefined) {
      throw new AuraError(
        'missing_host',
        'no Host header and no origin to derive it from: give an absolute url, a baseUrl or a Host header',
      );
    }
    host = origin.host;
    headers.Host = host;
  }
  const hostValue = normalizeHeaderValue(host);
  if (hostValue === '') throw new AuraError('missing_host', 'the Host header is empty');

  const body = bodyBytes(request.body);
  if (
    contentType === undefined &&
    body !== undefined &&
    (method === 'POST' || method === 'PUT' || method === 'PATCH')
  ) {
    contentType = 'application/json';
    headers['Content-Type'] = contentType;
  }
  headers['X-Aura-Timestamp'] = timestamp;
  headers['X-Aura-Nonce'] = nonce;

  const contentTypeValue = contentType === undefined ? '' : normalizeHeaderValue(contentType);
  // The four possible signed headers already sort as content-type < host < x-aura-*.
  const signedHeaders =
    contentTypeValue === ''
      ? 'host;x-aura-nonce;x-aura-timestamp'
      : 'content-type;host;x-aura-nonce;x-aura-timestamp';
  const canonicalHeaders = `${contentTypeValue === '' ? '' : `content-type:${contentTypeValue}\n`}host:${hostValue}\nx-aura-nonce:${nonce}\nx-aura-timestamp:${timestamp}\n`;

  const payloadHash: MaybePromise<string> =
    body === undefined || body.length === 0 ? EMPTY_SHA256 : backend.sha256Hex(body);
  const date = utcDate(Number(timestamp));
  const pathAndQuery = sentQuery === '' ? path : `${path}?${sentQuery}`;
  const computed: Computed = {
    url: origin === undefined ? pathAndQuery : origin.origin + pathAndQuery,
    method,
    headers,
    body,
    canonicalRequest: `${method}\n${path}\n${query}\n${canonicalHeaders}\n${signedHeaders}\n`,
    stringToSign: '',
    signedHeaders,
    payloadHash: '',
    credentialScope: `${appId}/${date}/${SERVICE}`,
    signature: '',
  };
  return finishSignature(backend, computed, appId, appSecret, timestamp, date, payloadHash);
}

/**
 * The hashing steps, once the canonical request is known up to its payload hash. With a
 * synchronous backend (node:crypto; the web build for small bodies) it all happens in this call
 * and answers the result itself: a promise per step would cost more than the hashing. A step
 * that answers a promise continues when it settles.
 */
function finishSignature(
  backend: CryptoBackend,
  c: Computed,
  appId: string,
  appSecret: string,
  timestamp: string,
  date: string,
  payloadHash: MaybePromise<string>,
): MaybePromise<Computed> {
  if (typeof payloadHash !== 'string') {
    return payloadHash.then((hash) =>
      finishSignature(backend, c, appId, appSecret, timestamp, date, hash),
    );
  }
  c.payloadHash = payloadHash;
  c.canonicalRequest += payloadHash;
  const requestHash = backend.sha256Hex(c.canonicalRequest);
  const signingKey = signingKeyFor(backend, appSecret, date);
  if (typeof requestHash !== 'string' || signingKey instanceof Promise) {
    return Promise.all([requestHash, signingKey]).then(([hash, key]) =>
      sealSignature(backend, c, appId, timestamp, hash, key),
    );
  }
  return sealSignature(backend, c, appId, timestamp, requestHash, signingKey);
}

function sealSignature(
  backend: CryptoBackend,
  c: Computed,
  appId: string,
  timestamp: string,
  requestHash: string,
  signingKey: SigningKey,
): MaybePromise<Computed> {
  c.stringToSign = `${ALGORITHM}\n${timestamp}\n${c.credentialScope}\n${requestHash}`;
  const signature = backend.hmacHex(signingKey, c.stringToSign);
  if (typeof signature !== 'string') {
    return signature.then((hex) => withSignature(c, appId, hex));
  }
  return withSignature(c, appId, signature);
}

function withSignature(c: Computed, appId: string, signature: string): Computed {
  c.signature = signature;
  c.headers.Authorization = formatAuthorization({
    appId,
    signedHeaders: c.signedHeaders,
    signature,
  });
  return c;
}

/** Signs with a given crypto backend; `signRequest` is this with the package's default backend. */
export function signRequestWith(
  backend: CryptoBackend,
  credentials: SigningCredentials,
  request: SignableRequest,
  options?: SignOptions,
): Promise<SignedRequest> {
  let computed: MaybePromise<Computed>;
  try {
    computed = compute(backend, credentials, request, options);
  } catch (error) {
    // A refusal is a rejection, as from any async function, never a synchronous throw.
    return Promise.reject(error);
  }
  return computed instanceof Promise
    ? computed.then(toSignedRequest)
    : Promise.resolve(toSignedRequest(computed));
}

function toSignedRequest(c: Computed): SignedRequest {
  const signed: SignedRequest = { url: c.url, method: c.method, headers: c.headers };
  if (c.body !== undefined) signed.body = c.body;
  return signed;
}

export async function explainSignatureWith(
  backend: CryptoBackend,
  credentials: SigningCredentials,
  request: SignableRequest,
  options?: SignOptions,
): Promise<SignatureExplanation> {
  const c = await compute(backend, credentials, request, options);
  return {
    canonicalRequest: c.canonicalRequest,
    stringToSign: c.stringToSign,
    signedHeaders: c.signedHeaders,
    payloadHash: c.payloadHash,
    credentialScope: c.credentialScope,
    signature: c.signature,
  };
}

/**
 * Signs a request with AURA-HMAC-SHA256 (docs/PROTOCOL.md). Returns the URL, method, headers and
 * exact body bytes to send; send them as they are: `fetch(signed.url, signed)`.
 */
export function signRequest(
  credentials: SigningCredentials,
  request: SignableRequest,
  options?: SignOptions,
): Promise<SignedRequest> {
  return signRequestWith(defaultBackend, credentials, request, options);
}

/**
 * Every intermediate value of a signature, for debugging a mismatch against a server. Pass the
 * server's timestamp and nonce as `options` to rebuild the very signature it received.
 */
export function explainSignature(
  credentials: SigningCredentials,
  request: SignableRequest,
  options?: SignOptions,
): Promise<SignatureExplanation> {
  return explainSignatureWith(defaultBackend, credentials, request, options);
}
