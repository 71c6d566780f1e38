import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CryptoBackend } from '../src/crypto/types';
import { MemoryNonceStore } from '../src/replay/nonce-store';
import { formatAuthorization, parseAuthorization } from '../src/signing/authorization';
import { canonicalPath } from '../src/signing/canonical';
import { EMPTY_SHA256 } from '../src/signing/constants';
import { type SignableRequest, type SignedRequest, signRequestWith } from '../src/signing/sign';
import {
  type VerifiableRequest,
  type VerifyResult,
  verifyRequestWith,
} from '../src/signing/verify';
import { backends } from './backends';

const NUM_RUNS = 150;
// Generous: WebCrypto is asynchronous and slower; the runs themselves take about a second.
const TIMEOUT_MS = 30_000;
const MAX_TIMESTAMP = 253_402_300_799;

const METHODS = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'PROPFIND',
  'get',
  'post',
];

const char = (codes: fc.Arbitrary<number>) => codes.map((c) => String.fromCharCode(c));
/** Full Unicode, no lone surrogates (fast-check 4's replacement for `fullUnicodeString`). */
const unicode = (maxLength: number) => fc.string({ unit: 'binary', maxLength });
/** Any UTF-16 code units, lone surrogates included. */
const utf16 = (maxLength: number) =>
  fc.string({ unit: char(fc.integer({ min: 0, max: 0xffff })), maxLength });
/** Header values the signer accepts: bytes 0x01–0xFF but CR and LF. */
const headerValue = (minLength = 0) =>
  fc.string({
    unit: char(fc.integer({ min: 1, max: 0xff }).filter((c) => c !== 10 && c !== 13)),
    minLength,
    maxLength: 24,
  });
const visibleAscii = (exclude: string, maxLength: number) =>
  fc.string({
    unit: char(
      fc.integer({ min: 0x21, max: 0x7e }).filter((c) => !exclude.includes(String.fromCharCode(c))),
    ),
    minLength: 1,
    maxLength,
  });

// Segments as a caller may write them, raw dot segments, empty segments and backslashes
// included: the signer must turn each into a path the verifier's path rule accepts.
const segmentArb = fc.oneof(
  { weight: 4, arbitrary: unicode(10).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.constantFrom('.', '..', '', '\\', 'a\\b', '...') },
);
const pathArb = (minSegments: number) =>
  fc
    .tuple(fc.array(segmentArb, { minLength: minSegments, maxLength: 5 }), fc.boolean())
    .map(([segments, trailing]) => `/${segments.join('/')}${trailing ? '/' : ''}`);

const queryPairs = (minLength: number) =>
  fc.array(fc.tuple(unicode(8), unicode(8)), { minLength, maxLength: 4 });

const requestArb = (strict: boolean) =>
  fc.record({
    appId: visibleAscii(',/', 24),
    appSecret: fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }),
    method: fc.constantFrom(...METHODS),
    path: pathArb(strict ? 1 : 0),
    ownQuery: queryPairs(strict ? 1 : 0),
    extraQuery: fc.option(
      fc.dictionary(unicode(6), fc.oneof(unicode(8), fc.integer(), fc.boolean()), { maxKeys: 3 }),
      { nil: undefined },
    ),
    baseUrl: fc.constantFrom(
      undefined,
      'https://aura.example.com',
      'https://aura.example.com/api/',
      'http://127.0.0.1:8080/v1',
    ),
    hostName: fc.constantFrom('Host', 'host', 'HOST'),
    host: fc.option(
      headerValue(1).filter((v) => v.trim() !== ''),
      { nil: undefined },
    ),
    contentType: strict
      ? headerValue(1).filter((v) => v.trim() !== '')
      : fc.option(headerValue(), { nil: undefined }),
    apiKey: fc.option(headerValue(), { nil: undefined }),
    body: strict
      ? fc.uint8Array({ minLength: 1, maxLength: 64 })
      : fc.option(
          fc.oneof(fc.uint8Array({ maxLength: 64 }), unicode(32), fc.jsonValue({ maxDepth: 2 })),
          { nil: undefined },
        ),
    timestamp: fc.integer({ min: 0, max: MAX_TIMESTAMP }),
    nonce: visibleAscii('', 128),
  });

type Generated = ReturnType<typeof requestArb> extends fc.Arbitrary<infer T> ? T : never;

function toSignable(g: Generated): SignableRequest {
  const query = g.ownQuery
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  const headers: Record<string, string> = {};
  // Without a base URL, nothing else gives the signer a Host.
  const host = g.host ?? (g.baseUrl === undefined ? 'aura.example.com' : undefined);
  if (host !== undefined) headers[g.hostName] = host;
  if (g.contentType !== undefined) headers['Content-Type'] = g.contentType;
  if (g.apiKey !== undefined) headers['X-Api-Key'] = g.apiKey;
  const request: SignableRequest = {
    method: g.method,
    url: query === '' ? g.path : `${g.path}?${query}`,
    headers,
  };
  if (g.baseUrl !== undefined) request.baseUrl = g.baseUrl;
  if (g.extraQuery !== undefined) request.query = g.extraQuery;
  if (g.body !== undefined) request.body = g.body;
  return request;
}

function targetOf(url: string): string {
  const target = url.replace(/^https?:\/\/[^/?#]*/i, '');
  return target === '' ? '/' : target;
}

type Received = VerifiableRequest & {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
};

function asReceived(signed: SignedRequest): Received {
  const received: Received = {
    method: signed.method,
    url: targetOf(signed.url),
    headers: { ...signed.headers },
  };
  if (signed.body !== undefined) received.body = signed.body;
  return received;
}

function verifyOptions(g: Generated) {
  return {
    secrets: { [g.appId]: g.appSecret },
    now: () => g.timestamp * 1000,
    nonceStore: new MemoryNonceStore(),
  };
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

/** Replaces the character at `at` with one from `pool` that differs under `same`. */
function replaceChar(
  text: string,
  at: number,
  pick: number,
  pool: string,
  same: (a: string, b: string) => boolean = (a, b) => a === b,
): string {
  const i = at % text.length;
  const choices = [...pool].filter((c) => !same(c, text[i]!));
  return text.slice(0, i) + choices[pick % choices.length]! + text.slice(i + 1);
}

const ignoreCase = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function headerKey(headers: Record<string, string>, lower: string): string {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === lower);
  if (key === undefined) throw new Error(`no ${lower} header`);
  return key;
}

const FIELDS = [
  'method',
  'path',
  'query',
  'content-type',
  'host',
  'nonce',
  'timestamp',
  'body',
  'path-spelling',
] as const;
type Field = (typeof FIELDS)[number];

const REFUSALS: Record<Field, string[]> = {
  method: ['invalid_signature'],
  // A changed path may no longer be valid percent-encoding or UTF-8.
  path: ['invalid_signature', 'invalid_path'],
  query: ['invalid_signature'],
  'content-type': ['invalid_signature'],
  host: ['invalid_signature'],
  nonce: ['invalid_signature', 'invalid_nonce'],
  timestamp: ['invalid_signature', 'invalid_timestamp', 'timestamp_out_of_window'],
  body: ['invalid_signature'],
  // Spellings a WHATWG URL router reads differently from the canonical path; several of them
  // route to the very path that was signed, so only the path rule can refuse them.
  'path-spelling': ['invalid_path'],
};

/** Raw-target spellings, each applied at one `/` of the path (issue 8 item 1). */
const PATH_SPELLINGS: ReadonlyArray<(path: string, slash: number) => string> = [
  // One byte changed: `/` → `\` (a WHATWG router still reads a `/`).
  (path, slash) => `${path.slice(0, slash)}\\${path.slice(slash + 1)}`,
  (path, slash) => `${path.slice(0, slash)}/%2e${path.slice(slash)}`,
  (path, slash) => `${path.slice(0, slash)}/x/%2E%2e${path.slice(slash)}`,
  (path, slash) => `${path.slice(0, slash)}/${path.slice(slash)}`,
  (path, slash) => `${path.slice(0, slash)}/.${path.slice(slash)}`,
];

/** Changes exactly one byte (character) of one signed part of the received request. */
function mutate(
  received: ReturnType<typeof asReceived>,
  field: Field,
  at: number,
  pick: number,
): void {
  const queryAt = received.url.indexOf('?');
  const path = queryAt === -1 ? received.url : received.url.slice(0, queryAt);
  const query = queryAt === -1 ? '' : received.url.slice(queryAt);
  switch (field) {
    case 'method':
      // The verifier upper-cases the method, so a case change is no change.
      received.method = replaceChar(received.method, at, pick, UPPER, ignoreCase);
      return;
    case 'path':
      // Percent-escapes are case-insensitive (`%c3` is `%C3`), so a case change is no change.
      received.url = replaceChar(path, at, pick, ALNUM, ignoreCase) + query;
      return;
    case 'query':
      received.url = path + query.slice(0, 1) + replaceChar(query.slice(1), at, pick, ALNUM);
      return;
    case 'content-type':
    case 'host':
    case 'nonce':
    case 'timestamp': {
      const key = headerKey(
        received.headers,
        field === 'nonce' || field === 'timestamp' ? `x-aura-${field}` : field,
      );
      received.headers[key] = replaceChar(
        received.headers[key]!,
        at,
        pick,
        field === 'timestamp' ? DIGITS : ALNUM,
      );
      return;
    }
    case 'path-spelling': {
      const slashes = [...path].flatMap((c, i) => (c === '/' ? [i] : []));
      const spell = PATH_SPELLINGS[pick % PATH_SPELLINGS.length]!;
      received.url = spell(path, slashes[at % slashes.length]!) + query;
      return;
    }
    case 'body': {
      const body = received.body!;
      const bytes =
        typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body);
      const i = at % bytes.length;
      bytes[i] = bytes[i]! ^ ((pick % 255) + 1);
      received.body = bytes;
      return;
    }
  }
}

describe.each(backends)('properties with %s', (_, backend) => {
  it(
    'sign → verify accepts every generated request',
    async () => {
      await fc.assert(
        fc.asyncProperty(requestArb(false), async (g) => {
          const signed = await signRequestWith(
            backend,
            { appId: g.appId, appSecret: g.appSecret },
            toSignable(g),
            { timestamp: g.timestamp, nonce: g.nonce },
          );
          const result = await verifyRequestWith(backend, asReceived(signed), verifyOptions(g));
          expect(result).toEqual({ ok: true, appId: g.appId });
        }),
        { numRuns: NUM_RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'changing any one byte of a signed part is always refused',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          requestArb(true),
          fc.constantFrom(...FIELDS),
          fc.nat(),
          fc.nat(),
          async (g, field, at, pick) => {
            const signed = await signRequestWith(
              backend,
              { appId: g.appId, appSecret: g.appSecret },
              toSignable(g),
              { timestamp: g.timestamp, nonce: g.nonce },
            );
            const received = asReceived(signed);
            // The untouched request is accepted (with its own store), so the refusal below is
            // the mutation's doing.
            expect((await verifyRequestWith(backend, received, verifyOptions(g))).ok).toBe(true);
            mutate(received, field, at, pick);
            const result: VerifyResult = await verifyRequestWith(
              backend,
              received,
              verifyOptions(g),
            );
            expect(result.ok).toBe(false);
            if (!result.ok) expect(REFUSALS[field]).toContain(result.code);
          },
        ),
        { numRuns: NUM_RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'accepts a raw target only when its canonical path is the one a WHATWG URL router reads',
    async () => {
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(targetArb, async (target) => {
          const routed = routedCanonicalPath(target);
          // Sign for what the old verifier read (the raw path canonicalised) and for what the
          // router reads; either signature may be accepted only if it names the routed path.
          const candidates = new Set<string>();
          const raw = rawCanonicalPath(target);
          if (raw !== undefined) candidates.add(raw);
          if (routed !== undefined) candidates.add(routed);
          for (const signedPath of candidates) {
            const request = await handSigned(backend, target, signedPath);
            const result = await verifyRequestWith(backend, request, {
              secrets: { [DIFF_APP]: DIFF_SECRET },
              now: () => DIFF_TS * 1000,
              nonceStore: new MemoryNonceStore(),
            });
            if (result.ok) {
              accepted++;
              expect(signedPath).toBe(routed);
            } else {
              expect(['invalid_path', 'invalid_signature', 'host_not_allowed']).toContain(
                result.code,
              );
            }
          }
        }),
        { numRuns: NUM_RUNS * 2 },
      );
      // Not vacuous: plenty of generated targets are plain paths that verify.
      expect(accepted).toBeGreaterThan(NUM_RUNS / 10);
    },
    TIMEOUT_MS,
  );
});

// --- Differential: the verifier against a WHATWG URL router (issue 8 item 1). ---

const DIFF_APP = 'diff-app';
const DIFF_SECRET = 'diff-secret';
const DIFF_TS = 1706140800;
const TARGET_PIECES = [
  '/',
  '/',
  '/',
  'a',
  'b',
  'api',
  '.',
  '..',
  '%2e',
  '%2E',
  '%2e%2E',
  '\\',
  '//',
  '%41',
  '%2f',
  '%5C',
  '%',
  '%zz',
  'é',
  ' ',
  '\t',
  ';',
  '?',
  '?x=/../y',
  '#',
  '#f',
  'http://h',
  'http:',
  '*',
];
const targetArb = fc
  .tuple(fc.boolean(), fc.array(fc.constantFrom(...TARGET_PIECES), { maxLength: 10 }))
  .map(([leadingSlash, pieces]) => (leadingSlash ? '/' : '') + pieces.join(''));

function canonicalOrUndefined(path: string): string | undefined {
  try {
    return canonicalPath(path);
  } catch {
    return undefined;
  }
}

/** What a router built on `new URL(target, base)` routes on, canonicalised. */
function routedCanonicalPath(target: string): string | undefined {
  let url: URL;
  try {
    url = new URL(target, 'http://h');
  } catch {
    return undefined;
  }
  return url.host === 'h' ? canonicalOrUndefined(url.pathname) : undefined;
}

/** The raw path cut from the target and canonicalised, as the verifier did before the path rule. */
function rawCanonicalPath(target: string): string | undefined {
  let rest = target.replace(/^https?:\/\/[^/?#]*/i, '');
  const hashAt = rest.indexOf('#');
  if (hashAt !== -1) rest = rest.slice(0, hashAt);
  const queryAt = rest.indexOf('?');
  return canonicalOrUndefined(queryAt === -1 ? rest : rest.slice(0, queryAt));
}

/** A GET for `target` carrying a genuine signature over `signedPath` (and the raw query). */
async function handSigned(
  backend: CryptoBackend,
  target: string,
  signedPath: string,
): Promise<VerifiableRequest> {
  const hashAt = target.indexOf('#');
  const beforeHash = hashAt === -1 ? target : target.slice(0, hashAt);
  const queryAt = beforeHash.indexOf('?');
  const query =
    queryAt === -1
      ? ''
      : beforeHash
          .slice(queryAt + 1)
          .split('&')
          .sort()
          .join('&');
  const nonce = `n-${Math.random().toString(36).slice(2)}`;
  const canonicalRequest = `GET\n${signedPath}\n${query}\nhost:h\nx-aura-nonce:${nonce}\nx-aura-timestamp:${DIFF_TS}\n\nhost;x-aura-nonce;x-aura-timestamp\n${EMPTY_SHA256}`;
  const date = new Date(DIFF_TS * 1000).toISOString().slice(0, 10).replaceAll('-', '');
  const key = await backend.deriveSigningKey(DIFF_SECRET, date);
  const stringToSign = `AURA-HMAC-SHA256\n${DIFF_TS}\n${DIFF_APP}/${date}/aura_request\n${await backend.sha256Hex(canonicalRequest)}`;
  const signature = await backend.hmacHex(key, stringToSign);
  return {
    method: 'GET',
    url: target,
    headers: {
      host: 'h',
      'x-aura-nonce': nonce,
      'x-aura-timestamp': String(DIFF_TS),
      authorization: formatAuthorization({
        appId: DIFF_APP,
        signedHeaders: 'host;x-aura-nonce;x-aura-timestamp',
        signature,
      }),
    },
  };
}

// --- parseAuthorization on arbitrary input. ---

const GRAMMAR_PIECES = [
  'AURA-HMAC-SHA256',
  'AURA-HMAC-SHA256 ',
  ' ',
  '  ',
  '\t',
  'Credential',
  'SignedHeaders',
  'Signature',
  'Credential=',
  'SignedHeaders=',
  'Signature=',
  '=',
  ',',
  ';',
  '/',
  'host',
  'x-aura-nonce',
  'x-aura-timestamp',
  'content-type',
  'Host',
  'test-app-id',
  '__proto__',
  'constructor',
  '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  '0123456789ABCDEF',
  'g',
  'é',
  '\ud800',
  '',
];

const grammarString = fc
  .array(fc.constantFrom(...GRAMMAR_PIECES), { maxLength: 24 })
  .map((pieces) => pieces.join(''));

const validHeader = fc
  .record({
    appId: visibleAscii(',/', 32),
    signedHeaders: fc
      .uniqueArray(fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,16}$/), {
        minLength: 1,
        maxLength: 6,
      })
      .map((names) => [...names].sort()),
    signature: fc.stringMatching(/^[0-9a-f]{64}$/),
  })
  .map((parts) => ({ parts, text: formatAuthorization(parts) }));

function checkShape(input: unknown): void {
  let result: ReturnType<typeof parseAuthorization> | undefined;
  expect(() => {
    result = parseAuthorization(input);
  }).not.toThrow();
  expect(typeof result?.ok).toBe('boolean');
  if (result === undefined) return;
  if (result.ok) {
    expect(result.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(result.appId).toMatch(/^[\x21-\x2b\x2d\x2e\x30-\x7e]+$/);
    expect(result.signedHeaders.length).toBeGreaterThan(0);
    // Whatever was accepted formats to a header that parses to the same parts.
    expect(parseAuthorization(formatAuthorization(result))).toEqual(result);
  } else {
    expect(['unsupported_scheme', 'malformed_authorization', 'authorization_too_long']).toContain(
      result.code,
    );
    expect(typeof result.message).toBe('string');
  }
}

describe('parseAuthorization properties', () => {
  it('never throws on fc.string()', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), checkShape), { numRuns: 200 });
  });

  it('never throws on full-Unicode strings', () => {
    fc.assert(fc.property(unicode(200), checkShape), { numRuns: 200 });
  });

  it('never throws on UTF-16 strings with lone surrogates', () => {
    fc.assert(fc.property(utf16(200), checkShape), { numRuns: 200 });
  });

  it('never throws on strings built from the Authorization grammar pieces', () => {
    fc.assert(fc.property(grammarString, checkShape), { numRuns: 200 });
  });

  it('never throws on the scheme followed by arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(unicode(200), grammarString), (rest) =>
        checkShape(`AURA-HMAC-SHA256 ${rest}`),
      ),
      { numRuns: 200 },
    );
  });

  it('never throws on values that are not strings', () => {
    fc.assert(fc.property(fc.anything(), checkShape), { numRuns: 200 });
  });

  it('parses every well-formed header to its parts, and formats them back', () => {
    fc.assert(
      fc.property(validHeader, ({ parts, text }) => {
        const result = parseAuthorization(text);
        expect(result).toEqual({ ok: true, ...parts });
        if (result.ok) expect(formatAuthorization(result)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });
});
