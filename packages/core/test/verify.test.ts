import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CryptoBackend } from '../src/crypto/types';
import { MemoryNonceStore, type NonceStore } from '../src/replay/nonce-store';
import { formatAuthorization } from '../src/signing/authorization';
import { EMPTY_SHA256 } from '../src/signing/constants';
import {
  type SignableRequest,
  type SignedRequest,
  type SigningCredentials,
  type SignOptions,
  signRequestWith,
} from '../src/signing/sign';
import {
  type VerifiableRequest,
  type VerifyOptions,
  type VerifyResult,
  verifyRequestWith,
} from '../src/signing/verify';
import { backends } from './backends';

const APP_ID = 'test-app-id';
const SECRET = 'test-secret-key';
const CREDENTIALS: SigningCredentials = { appId: APP_ID, appSecret: SECRET };
/** 2024-01-25T00:00:00Z */
const TS = 1706140800;
const HOST = 'aura.example.com';
const PATH = '/api/auth/exchange';
const BODY = '{"ttl":3600,"scopes":["upload:init","upload:manage"]}';

type Headers = Record<string, string | string[] | undefined>;
interface Received extends VerifiableRequest {
  headers: Headers;
}

/** The path and query of a signed URL: what a server sees as the request target. */
function targetOf(url: string): string {
  const target = url.replace(/^https?:\/\/[^/?#]*/i, '');
  return target === '' ? '/' : target;
}

function sign(
  backend: CryptoBackend,
  request: Partial<SignableRequest> = {},
  options: SignOptions = {},
  credentials: SigningCredentials = CREDENTIALS,
): Promise<SignedRequest> {
  return signRequestWith(
    backend,
    credentials,
    { method: 'POST', url: PATH, headers: { Host: HOST }, body: BODY, ...request },
    { timestamp: TS, ...options },
  );
}

/** What a server hands the verifier for a request sent exactly as signed. */
function asReceived(signed: SignedRequest): Received {
  const received: Received = {
    method: signed.method,
    url: targetOf(signed.url),
    headers: { ...signed.headers },
  };
  if (signed.body !== undefined) received.body = signed.body;
  return received;
}

/** A fresh nonce store per call, so tests never share nonces; the clock sits at `ts`. */
function options(extra: Partial<VerifyOptions> = {}, ts: number = TS): VerifyOptions {
  return {
    secrets: { [APP_ID]: SECRET },
    now: () => ts * 1000,
    nonceStore: new MemoryNonceStore(),
    ...extra,
  };
}

const ACCEPTED = { ok: true, appId: APP_ID };

/** The exact refusal, and a message that echoes neither the secret nor any signature. */
function expectRefused(result: VerifyResult, status: number, code: string): void {
  expect(result).toEqual({ ok: false, status, code, message: expect.any(String) });
  if (result.ok) return;
  expect(result.message).not.toContain(SECRET);
  expect(result.message).not.toMatch(/[0-9a-f]{64}/i);
}

function signatureOf(headers: Headers): string {
  const match = /Signature=([0-9a-f]{64})$/.exec(String(headers.Authorization));
  if (match === null) throw new Error('no signature in the signed request');
  return match[1]!;
}

function withSignature(headers: Headers, signature: string): Headers {
  return {
    ...headers,
    Authorization: String(headers.Authorization).replace(/Signature=.*$/, `Signature=${signature}`),
  };
}

function flipped(signature: string, at = 10): string {
  const c = signature[at] === '0' ? '1' : '0';
  return signature.slice(0, at) + c + signature.slice(at + 1);
}

// --- A signer written out by hand from docs/PROTOCOL.md, for requests the library signer refuses to
// produce (reduced SignedHeaders, malformed timestamps, extra X-Aura-* headers), so that each
// test's request carries a real signature and only the rule under test can refuse it.

interface HandSpec {
  method: string;
  /** Already canonical path, optionally followed by `?` and an already canonical query. */
  target: string;
  /** Wire name → value; sent as given. */
  headers: Record<string, string>;
  /** Lowercase names to sign, looked up case-insensitively in `headers`. */
  signed: string[];
  body?: string;
  /** The timestamp string used in the string to sign. */
  timestamp: string;
  appId?: string;
  secret?: string;
}

function utcDateOf(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10).replaceAll('-', '');
}

async function handSign(backend: CryptoBackend, spec: HandSpec): Promise<Received> {
  const appId = spec.appId ?? APP_ID;
  const names = [...spec.signed].sort();
  const headerValueOf = (name: string): string => {
    const key = Object.keys(spec.headers).find((k) => k.toLowerCase() === name);
    if (key === undefined) throw new Error(`hand signer: no header ${name}`);
    return spec.headers[key]!.trim().replace(/\s+/g, ' ');
  };
  const canonicalHeaders = names.map((n) => `${n}:${headerValueOf(n)}\n`).join('');
  const queryAt = spec.target.indexOf('?');
  const path = queryAt === -1 ? spec.target : spec.target.slice(0, queryAt);
  const query = queryAt === -1 ? '' : spec.target.slice(queryAt + 1);
  const payloadHash =
    spec.body === undefined || spec.body === '' ? EMPTY_SHA256 : await backend.sha256Hex(spec.body);
  const canonicalRequest = [
    spec.method,
    path,
    query,
    canonicalHeaders,
    names.join(';'),
    payloadHash,
  ].join('\n');
  const date = utcDateOf(Number(spec.timestamp));
  const key = await backend.deriveSigningKey(spec.secret ?? SECRET, date);
  const stringToSign = `AURA-HMAC-SHA256\n${spec.timestamp}\n${appId}/${date}/aura_request\n${await backend.sha256Hex(canonicalRequest)}`;
  const signature = await backend.hmacHex(key, stringToSign);
  const received: Received = {
    method: spec.method,
    url: spec.target,
    headers: {
      ...spec.headers,
      Authorization: formatAuthorization({ appId, signedHeaders: names, signature }),
    },
  };
  if (spec.body !== undefined) received.body = spec.body;
  return received;
}

function handHeaders(
  timestamp: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    Host: HOST,
    'X-Aura-Nonce': randomUUID(),
    'X-Aura-Timestamp': timestamp,
    ...extra,
  };
}

const ALWAYS = ['host', 'x-aura-nonce', 'x-aura-timestamp'];

describe.each(backends)('verifyRequest with %s', (_, backend) => {
  const verify = (request: Received, opts: VerifyOptions) =>
    verifyRequestWith(backend, request, opts);

  describe('genuine requests', () => {
    it('the hand-written test signer agrees with docs/PROTOCOL.md vector 1', async () => {
      const received = await handSign(backend, {
        method: 'POST',
        target: PATH,
        headers: {
          Host: HOST,
          'Content-Type': 'application/json',
          'X-Aura-Nonce': '550e8400-e29b-41d4-a716-446655440000',
          'X-Aura-Timestamp': String(TS),
        },
        signed: ['content-type', ...ALWAYS],
        body: BODY,
        timestamp: String(TS),
      });
      expect(signatureOf(received.headers)).toBe(
        '4e865169c280c238e93ea51681fdf9e5977ecbf0dc60fbbf0b6b7ccba2005093',
      );
      expect(await verify(received, options())).toEqual(ACCEPTED);
    });

    it('accepts a genuine signed POST with a JSON body', async () => {
      const signed = await sign(backend);
      expect(signed.headers['Content-Type']).toBe('application/json');
      expect(await verify(asReceived(signed), options())).toEqual(ACCEPTED);
    });

    it('accepts a genuine signed body given as bytes', async () => {
      const signed = await sign(backend, { body: new Uint8Array([0, 1, 2, 254, 255]) });
      expect(await verify(asReceived(signed), options())).toEqual(ACCEPTED);
    });

    it('accepts a genuine signed GET with a query', async () => {
      const signed = await sign(backend, {
        method: 'GET',
        url: '/api/uploads?source=test&mode=bulk',
        query: { page: 2, q: 'a b', all: true },
        body: undefined,
      });
      expect(targetOf(signed.url)).toBe(
        '/api/uploads?source=test&mode=bulk&page=2&q=a%20b&all=true',
      );
      expect(await verify(asReceived(signed), options())).toEqual(ACCEPTED);
    });

    it('accepts a request signed through a base URL path', async () => {
      const signed = await sign(backend, {
        baseUrl: 'https://aura.example.com/api',
        url: '/auth/exchange',
        headers: {},
      });
      expect(signed.url).toBe('https://aura.example.com/api/auth/exchange');
      expect(signed.headers.Host).toBe(HOST);
      const received = asReceived(signed);
      expect(received.url).toBe(PATH);
      expect(await verify(received, options())).toEqual(ACCEPTED);
    });

    it('accepts the request target in absolute form', async () => {
      const received = asReceived(await sign(backend));
      received.url = `https://${HOST}${PATH}`;
      expect(await verify(received, options())).toEqual(ACCEPTED);
    });

    it('accepts headers given as arrays of one value (Node headersDistinct)', async () => {
      const received = asReceived(await sign(backend));
      const distinct: Headers = {};
      for (const [name, value] of Object.entries(received.headers)) {
        distinct[name.toLowerCase()] = [String(value)];
      }
      received.headers = distinct;
      expect(await verify(received, options())).toEqual(ACCEPTED);
    });

    it('accepts an extra X-Aura-* header when it is signed', async () => {
      const received = await handSign(backend, {
        method: 'GET',
        target: '/api/uploader/config',
        headers: handHeaders(String(TS), { 'X-Aura-Trace': 'trace-1' }),
        signed: [...ALWAYS, 'x-aura-trace'],
        timestamp: String(TS),
      });
      expect(await verify(received, options())).toEqual(ACCEPTED);
    });
  });

  describe('Authorization header', () => {
    it('refuses a request without Authorization (missing_authorization)', async () => {
      const received = asReceived(await sign(backend));
      delete received.headers.Authorization;
      expectRefused(await verify(received, options()), 401, 'missing_authorization');
    });

    it('refuses a signature with one character flipped (invalid_signature)', async () => {
      const received = asReceived(await sign(backend));
      const genuine = signatureOf(received.headers);
      for (const at of [0, 10, 63]) {
        const forged = {
          ...received,
          headers: withSignature(received.headers, flipped(genuine, at)),
        };
        expectRefused(await verify(forged, options()), 401, 'invalid_signature');
      }
      // The untouched request still verifies.
      expect(await verify(received, options())).toEqual(ACCEPTED);
    });

    it('refuses every truncated prefix of the signature, lengths 0 to 63 (malformed_authorization)', async () => {
      const received = asReceived(await sign(backend));
      const signature = signatureOf(received.headers);
      for (let length = 0; length < 64; length++) {
        const truncated = {
          ...received,
          headers: withSignature(received.headers, signature.slice(0, length)),
        };
        const result = await verify(truncated, options());
        expectRefused(result, 401, 'malformed_authorization');
      }
    });

    it('refuses a non-hex signature (malformed_authorization)', async () => {
      const received = asReceived(await sign(backend));
      const signature = signatureOf(received.headers);
      received.headers = withSignature(received.headers, `${signature.slice(0, 63)}g`);
      expectRefused(await verify(received, options()), 401, 'malformed_authorization');
    });

    it('refuses the genuine signature in upper case (malformed_authorization)', async () => {
      const received = asReceived(await sign(backend));
      const upper = signatureOf(received.headers).toUpperCase();
      expect(upper).toMatch(/[A-F]/);
      received.headers = withSignature(received.headers, upper);
      expectRefused(await verify(received, options()), 401, 'malformed_authorization');
    });

    it('refuses a 63-character signature (malformed_authorization)', async () => {
      const received = asReceived(await sign(backend));
      received.headers = withSignature(received.headers, signatureOf(received.headers).slice(1));
      expectRefused(await verify(received, options()), 401, 'malformed_authorization');
    });

    it('refuses a 65-character signature (malformed_authorization)', async () => {
      const received = asReceived(await sign(backend));
      received.headers = withSignature(received.headers, `${signatureOf(received.headers)}0`);
      expectRefused(await verify(received, options()), 401, 'malformed_authorization');
    });

    it.each([
      [
        'AWS4-HMAC-SHA256',
        `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240125/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'a'.repeat(64)}`,
      ],
      ['Bearer', 'Bearer aubt_x'],
      [
        'AURA-HMAC-SHA1',
        'AURA-HMAC-SHA1 Credential=test-app-id,SignedHeaders=host;x-aura-nonce;x-aura-timestamp,Signature=0',
      ],
      [
        'aura-hmac-sha256 (lower case)',
        'aura-hmac-sha256 Credential=test-app-id,SignedHeaders=host;x-aura-nonce;x-aura-timestamp,Signature=0',
      ],
    ])('refuses the %s scheme (unsupported_scheme)', async (_name, authorization) => {
      const received = asReceived(await sign(backend));
      received.headers.Authorization = authorization;
      expectRefused(await verify(received, options()), 401, 'unsupported_scheme');
    });

    it('refuses the genuine attributes under the AURA-HMAC-SHA1 scheme (unsupported_scheme)', async () => {
      const received = asReceived(await sign(backend));
      received.headers.Authorization = String(received.headers.Authorization).replace(
        'AURA-HMAC-SHA256',
        'AURA-HMAC-SHA1',
      );
      expectRefused(await verify(received, options()), 401, 'unsupported_scheme');
    });

    it('refuses a duplicated attribute (malformed_authorization)', async () => {
      const received = asReceived(await sign(backend));
      received.headers.Authorization = `${received.headers.Authorization},Credential=${APP_ID}`;
      expectRefused(await verify(received, options()), 401, 'malformed_authorization');
    });

    it('refuses an unknown attribute (malformed_authorization)', async () => {
      const received = asReceived(await sign(backend));
      received.headers.Authorization = `${received.headers.Authorization},Region=eu`;
      expectRefused(await verify(received, options()), 401, 'malformed_authorization');
    });

    it('refuses a missing attribute (malformed_authorization)', async () => {
      const received = asReceived(await sign(backend));
      received.headers.Authorization = String(received.headers.Authorization).replace(
        /SignedHeaders=[^,]*,/,
        '',
      );
      expectRefused(await verify(received, options()), 401, 'malformed_authorization');
    });

    it('refuses a 1 MiB Authorization header (authorization_too_long)', async () => {
      const received = asReceived(await sign(backend));
      const genuine = String(received.headers.Authorization);
      received.headers.Authorization = genuine + 'a'.repeat(1024 * 1024 - genuine.length);
      expectRefused(await verify(received, options()), 401, 'authorization_too_long');
      // Also a header just past the 4 KiB limit, and one that is 1 MiB of anything.
      received.headers.Authorization = `${genuine},${'x'.repeat(4096 - genuine.length)}`;
      expect(String(received.headers.Authorization)).toHaveLength(4097);
      expectRefused(await verify(received, options()), 401, 'authorization_too_long');
      received.headers.Authorization = ' '.repeat(1024 * 1024);
      expectRefused(await verify(received, options()), 401, 'authorization_too_long');
    });
  });

  describe('duplicate headers', () => {
    it('refuses two Authorization headers (duplicate_header)', async () => {
      const received = asReceived(await sign(backend));
      const authorization = String(received.headers.Authorization);
      received.headers.Authorization = [authorization, authorization];
      expectRefused(await verify(received, options()), 400, 'duplicate_header');
    });

    it('refuses a duplicated Host (duplicate_header)', async () => {
      const received = asReceived(await sign(backend));
      received.headers.Host = [HOST, HOST];
      expectRefused(await verify(received, options()), 400, 'duplicate_header');
    });

    it('refuses a duplicated X-Aura-Nonce (duplicate_header)', async () => {
      const received = asReceived(await sign(backend));
      const nonce = String(received.headers['X-Aura-Nonce']);
      received.headers['X-Aura-Nonce'] = [nonce, nonce];
      expectRefused(await verify(received, options()), 400, 'duplicate_header');
    });

    it('refuses Host and host given as two keys (duplicate_header)', async () => {
      const received = asReceived(await sign(backend));
      received.headers.host = HOST;
      expectRefused(await verify(received, options()), 400, 'duplicate_header');
    });

    it('refuses X-Aura-Nonce and x-aura-nonce given as two keys (duplicate_header)', async () => {
      const received = asReceived(await sign(backend));
      received.headers['x-aura-nonce'] = randomUUID();
      expectRefused(await verify(received, options()), 400, 'duplicate_header');
    });
  });

  describe('signed headers', () => {
    it.each(ALWAYS)(
      'refuses SignedHeaders without %s, even with a real signature (signed_headers_incomplete)',
      async (left) => {
        const headers = handHeaders(String(TS));
        // The left-out X-Aura-* header is not sent either, so only this rule can refuse.
        if (left === 'x-aura-nonce') delete headers['X-Aura-Nonce'];
        if (left === 'x-aura-timestamp') delete headers['X-Aura-Timestamp'];
        const received = await handSign(backend, {
          method: 'GET',
          target: '/api/uploader/config',
          headers,
          signed: ALWAYS.filter((name) => name !== left),
          timestamp: String(TS),
        });
        expectRefused(await verify(received, options()), 401, 'signed_headers_incomplete');
      },
    );

    it('refuses an X-Aura-Trace header that is present but not signed (unsigned_header)', async () => {
      const received = asReceived(await sign(backend));
      received.headers['X-Aura-Trace'] = 'trace-1';
      expectRefused(await verify(received, options()), 401, 'unsigned_header');
    });

    it('refuses a Content-Type that is present but not signed (unsigned_header)', async () => {
      const received = asReceived(await sign(backend, { method: 'GET', body: undefined }));
      expect(received.headers.Authorization).toContain('SignedHeaders=host;');
      received.headers['Content-Type'] = 'application/json';
      expectRefused(await verify(received, options()), 401, 'unsigned_header');
    });

    it('accepts an empty Content-Type that is not signed (the signer drops empty values)', async () => {
      const received = asReceived(await sign(backend, { method: 'GET', body: undefined }));
      received.headers['Content-Type'] = '';
      expect(await verify(received, options())).toEqual(ACCEPTED);
    });

    it('refuses a signed Content-Type absent from the request (signed_header_missing)', async () => {
      const received = asReceived(await sign(backend));
      expect(received.headers.Authorization).toContain('SignedHeaders=content-type;');
      delete received.headers['Content-Type'];
      expectRefused(await verify(received, options()), 401, 'signed_header_missing');
    });

    it('refuses a signed Host absent from the request (signed_header_missing)', async () => {
      const received = asReceived(await sign(backend));
      delete received.headers.Host;
      expectRefused(await verify(received, options()), 401, 'signed_header_missing');
    });

    it('refuses a signed header whose value is blank (signed_header_missing)', async () => {
      const received = asReceived(await sign(backend));
      received.headers['Content-Type'] = '   ';
      expectRefused(await verify(received, options()), 401, 'signed_header_missing');
    });
  });

  describe('timestamp', () => {
    it('refuses a timestamp 301 s ahead of the clock (timestamp_out_of_window)', async () => {
      const received = asReceived(await sign(backend));
      expectRefused(await verify(received, options({}, TS - 301)), 401, 'timestamp_out_of_window');
    });

    it('accepts a timestamp 299 s ahead of the clock', async () => {
      const received = asReceived(await sign(backend));
      expect(await verify(received, options({}, TS - 299))).toEqual(ACCEPTED);
    });

    it('refuses a timestamp 301 s behind the clock (timestamp_out_of_window)', async () => {
      const received = asReceived(await sign(backend));
      expectRefused(await verify(received, options({}, TS + 301)), 401, 'timestamp_out_of_window');
    });

    it('accepts a timestamp 299 s behind the clock', async () => {
      const received = asReceived(await sign(backend));
      expect(await verify(received, options({}, TS + 299))).toEqual(ACCEPTED);
    });

    it('accepts a timestamp exactly 300 s either way (the bound is inside the window)', async () => {
      const received = asReceived(await sign(backend));
      expect(await verify(received, options({}, TS - 300))).toEqual(ACCEPTED);
      expect(await verify(received, options({}, TS + 300))).toEqual(ACCEPTED);
    });

    it('honours skewSeconds', async () => {
      const received = asReceived(await sign(backend));
      expectRefused(
        await verify(received, options({ skewSeconds: 10 }, TS + 11)),
        401,
        'timestamp_out_of_window',
      );
      expect(await verify(received, options({ skewSeconds: 10 }, TS + 10))).toEqual(ACCEPTED);
    });

    it('accepts the hand-signed control timestamp "1"', async () => {
      const received = await handSign(backend, {
        method: 'GET',
        target: '/api/uploader/config',
        headers: handHeaders('1'),
        signed: ALWAYS,
        timestamp: '1',
      });
      expect(await verify(received, options({}, 1))).toEqual(ACCEPTED);
    });

    it.each(['1e9', '+1', ' 1', '-1', '01'])(
      'refuses the timestamp %j even with a real signature (invalid_timestamp)',
      async (timestamp) => {
        const received = await handSign(backend, {
          method: 'GET',
          target: '/api/uploader/config',
          headers: handHeaders(timestamp),
          signed: ALWAYS,
          timestamp,
        });
        // The clock agrees with the value, so only the format rule can refuse.
        const result = await verify(received, options({}, Number(timestamp)));
        expectRefused(result, 401, 'invalid_timestamp');
      },
    );

    it('refuses a duplicated X-Aura-Timestamp (duplicate_header)', async () => {
      const received = asReceived(await sign(backend));
      received.headers['X-Aura-Timestamp'] = [String(TS), String(TS)];
      expectRefused(await verify(received, options()), 400, 'duplicate_header');
    });

    it('accepts a request signed at 23:59:59 UTC and verified 2 s later, after midnight', async () => {
      const lastSecond = TS + 86_399; // 2024-01-25T23:59:59Z
      expect(new Date(lastSecond * 1000).toISOString()).toBe('2024-01-25T23:59:59.000Z');
      const received = asReceived(await sign(backend, {}, { timestamp: lastSecond }));
      expect(await verify(received, options({}, lastSecond + 2))).toEqual(ACCEPTED);
    });

    it.each([Number.NaN, Number.POSITIVE_INFINITY, -1])(
      'fails closed on skewSeconds %s (verifier_error)',
      async (skewSeconds) => {
        const received = asReceived(await sign(backend));
        // Years away from the timestamp: a window check disabled by NaN would let it in.
        const result = await verify(received, options({ skewSeconds }, TS + 10 * 365 * 86_400));
        expectRefused(result, 500, 'verifier_error');
      },
    );

    it('fails closed on a clock that answers NaN (verifier_error)', async () => {
      const received = asReceived(await sign(backend));
      expectRefused(
        await verify(received, options({ now: () => Number.NaN })),
        500,
        'verifier_error',
      );
    });
  });

  describe('nonce', () => {
    it('refuses the same nonce replayed (replayed_nonce)', async () => {
      const received = asReceived(await sign(backend));
      const opts = options();
      expect(await verify(received, opts)).toEqual(ACCEPTED);
      expectRefused(await verify(received, opts), 401, 'replayed_nonce');
    });

    it('accepts the same nonce under another app id', async () => {
      const nonce = randomUUID();
      const other = { appId: 'other-app', appSecret: 'other-secret' };
      const opts = options({ secrets: { [APP_ID]: SECRET, [other.appId]: other.appSecret } });
      const first = asReceived(await sign(backend, {}, { nonce }));
      const second = asReceived(await sign(backend, {}, { nonce }, other));
      expect(await verify(first, opts)).toEqual(ACCEPTED);
      expect(await verify(second, opts)).toEqual({ ok: true, appId: 'other-app' });
      expectRefused(await verify(first, opts), 401, 'replayed_nonce');
    });

    it('a forged request carrying a genuine nonce, sent first, does not use the nonce up', async () => {
      const genuine = asReceived(await sign(backend));
      const forged: Received = {
        ...genuine,
        body: '{"ttl":86400,"scopes":["admin"]}',
        headers: withSignature(genuine.headers, flipped(signatureOf(genuine.headers))),
      };
      const opts = options();
      expectRefused(await verify(forged, opts), 401, 'invalid_signature');
      expect(await verify(genuine, opts)).toEqual(ACCEPTED);
      expectRefused(await verify(genuine, opts), 401, 'replayed_nonce');
    });

    it('remembers a nonce for as long as its timestamp is accepted', async () => {
      // First seen when the timestamp has just entered the window (300 s ahead of the clock),
      // replayed in the last millisecond it is still accepted (300 s behind).
      let clock = (TS - 300) * 1000;
      const now = () => clock;
      const opts = options({ now, nonceStore: new MemoryNonceStore({ now }) });
      const received = asReceived(await sign(backend));
      expect(await verify(received, opts)).toEqual(ACCEPTED);
      clock = (TS + 300) * 1000;
      expectRefused(await verify(received, opts), 401, 'replayed_nonce');
      clock = (TS + 301) * 1000 - 1;
      expectRefused(await verify(received, opts), 401, 'replayed_nonce');
      clock = (TS + 301) * 1000;
      expectRefused(await verify(received, opts), 401, 'timestamp_out_of_window');
    });

    it('answers 503 when the nonce store throws (nonce_store_unavailable)', async () => {
      const store: NonceStore = {
        claim() {
          throw new Error(`store down (${SECRET})`);
        },
      };
      const received = asReceived(await sign(backend));
      expectRefused(
        await verify(received, options({ nonceStore: store })),
        503,
        'nonce_store_unavailable',
      );
    });

    it('answers 503 when the nonce store rejects (nonce_store_unavailable)', async () => {
      const store: NonceStore = {
        claim: () => Promise.reject(new Error(`store down (${SECRET})`)),
      };
      const received = asReceived(await sign(backend));
      expectRefused(
        await verify(received, options({ nonceStore: store })),
        503,
        'nonce_store_unavailable',
      );
    });

    it('treats a nonce store answer other than true as a replay (replayed_nonce)', async () => {
      const received = asReceived(await sign(backend));
      for (const answer of [false, undefined, 'yes', 1]) {
        const store = { claim: () => answer } as unknown as NonceStore;
        expectRefused(
          await verify(received, options({ nonceStore: store })),
          401,
          'replayed_nonce',
        );
      }
    });

    it('refuses a nonce that is not 1 to 128 visible ASCII characters (invalid_nonce)', async () => {
      const received = await handSign(backend, {
        method: 'GET',
        target: '/api/uploader/config',
        headers: handHeaders(String(TS), { 'X-Aura-Nonce': 'n'.repeat(129) }),
        signed: ALWAYS,
        timestamp: String(TS),
      });
      expectRefused(await verify(received, options()), 401, 'invalid_nonce');
    });
  });

  describe('secret lookup', () => {
    it('answers 503 when the secrets function throws (secret_lookup_failed)', async () => {
      const received = asReceived(await sign(backend));
      const secrets = () => {
        throw new Error(`vault unreachable, last secret ${SECRET}`);
      };
      expectRefused(await verify(received, options({ secrets })), 503, 'secret_lookup_failed');
    });

    it('answers 503 when the secrets function rejects (secret_lookup_failed)', async () => {
      const received = asReceived(await sign(backend));
      const secrets = () => Promise.reject(new Error('vault unreachable'));
      expectRefused(await verify(received, options({ secrets })), 503, 'secret_lookup_failed');
    });

    it('accepts a secret from an async secrets function', async () => {
      const received = asReceived(await sign(backend));
      const secrets = async (appId: string) => (appId === APP_ID ? SECRET : undefined);
      expect(await verify(received, options({ secrets }))).toEqual(ACCEPTED);
    });

    it('answers an unknown app id exactly like a bad signature', async () => {
      const unknown = await verify(
        asReceived(await sign(backend, {}, {}, { appId: 'unknown-app', appSecret: 'whatever' })),
        options(),
      );
      const genuine = asReceived(await sign(backend));
      const bad = await verify(
        {
          ...genuine,
          headers: withSignature(genuine.headers, flipped(signatureOf(genuine.headers))),
        },
        options(),
      );
      expectRefused(unknown, 401, 'invalid_signature');
      expectRefused(bad, 401, 'invalid_signature');
      expect(unknown).toEqual(bad);
    });

    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
      'does not resolve the prototype key %s from a plain secrets object (invalid_signature)',
      async (appId) => {
        // Sign with what a lookup through the prototype would have produced as a "secret".
        const guessed = String((CREDENTIALS as unknown as Record<string, unknown>)[appId]);
        const received = asReceived(await sign(backend, {}, {}, { appId, appSecret: guessed }));
        expectRefused(await verify(received, options()), 401, 'invalid_signature');
      },
    );

    it('does not use a secret inherited from the secrets object prototype (invalid_signature)', async () => {
      const secrets = Object.create({ inherited: 'inherited-secret' }) as Record<string, string>;
      secrets[APP_ID] = SECRET;
      const received = asReceived(
        await sign(backend, {}, {}, { appId: 'inherited', appSecret: 'inherited-secret' }),
      );
      expectRefused(await verify(received, options({ secrets })), 401, 'invalid_signature');
      expect(await verify(asReceived(await sign(backend)), options({ secrets }))).toEqual(ACCEPTED);
    });
  });

  describe('tampering', () => {
    it('refuses one body byte changed (invalid_signature)', async () => {
      const received = asReceived(await sign(backend));
      const bytes = new TextEncoder().encode(BODY);
      bytes[20] = bytes[20]! ^ 0x01;
      received.body = bytes;
      expectRefused(await verify(received, options()), 401, 'invalid_signature');
    });

    it('refuses the JSON body re-serialised with different spacing (invalid_signature)', async () => {
      const received = asReceived(await sign(backend));
      const respaced = JSON.stringify(JSON.parse(BODY), null, 1);
      expect(JSON.parse(respaced)).toEqual(JSON.parse(BODY));
      received.body = respaced;
      expectRefused(await verify(received, options()), 401, 'invalid_signature');
    });

    it('refuses a request whose body was dropped (invalid_signature)', async () => {
      const received = asReceived(await sign(backend));
      delete received.body;
      expectRefused(await verify(received, options()), 401, 'invalid_signature');
    });

    it.each(['application/json; charset=utf-8', 'text/plain', 'Application/JSON'])(
      'refuses the content-type value changed to %s (invalid_signature)',
      async (contentType) => {
        const received = asReceived(await sign(backend));
        received.headers['Content-Type'] = contentType;
        expectRefused(await verify(received, options()), 401, 'invalid_signature');
      },
    );

    it('refuses the method changed (invalid_signature)', async () => {
      const received = asReceived(await sign(backend));
      received.method = 'PUT';
      expectRefused(await verify(received, options()), 401, 'invalid_signature');
    });

    it('refuses the path changed (invalid_signature)', async () => {
      const received = asReceived(await sign(backend));
      received.url = '/api/auth/exchangE';
      expectRefused(await verify(received, options()), 401, 'invalid_signature');
    });

    it('refuses a query value changed (invalid_signature)', async () => {
      const received = asReceived(
        await sign(backend, {
          method: 'GET',
          url: '/api/uploads?source=test&mode=bulk',
          body: undefined,
        }),
      );
      expect(await verify(received, options())).toEqual(ACCEPTED);
      received.url = '/api/uploads?source=test&mode=single';
      expectRefused(await verify(received, options()), 401, 'invalid_signature');
    });

    it('refuses a query parameter added (invalid_signature)', async () => {
      const received = asReceived(await sign(backend));
      received.url = `${PATH}?admin=1`;
      expectRefused(await verify(received, options()), 401, 'invalid_signature');
    });

    it('refuses the Host changed when no hosts list is given (invalid_signature)', async () => {
      const received = asReceived(await sign(backend));
      received.headers.Host = 'other.example.com';
      expectRefused(await verify(received, options()), 401, 'invalid_signature');
    });

    it('refuses the nonce changed (invalid_signature)', async () => {
      const received = asReceived(await sign(backend));
      received.headers['X-Aura-Nonce'] = randomUUID();
      expectRefused(await verify(received, options()), 401, 'invalid_signature');
    });

    it('refuses the timestamp moved by one second (invalid_signature)', async () => {
      const received = asReceived(await sign(backend));
      received.headers['X-Aura-Timestamp'] = String(TS + 1);
      expectRefused(await verify(received, options()), 401, 'invalid_signature');
    });

    it('refuses a path that is not valid percent-encoding (invalid_path)', async () => {
      const received = asReceived(await sign(backend));
      received.url = '/api/%zz/exchange';
      expectRefused(await verify(received, options()), 400, 'invalid_path');
    });
  });

  describe('hosts and only', () => {
    it('refuses a signed Host outside hosts (host_not_allowed)', async () => {
      const received = asReceived(await sign(backend));
      expectRefused(
        await verify(received, options({ hosts: ['api.partner.example'] })),
        401,
        'host_not_allowed',
      );
    });

    it('refuses a signed Host whose port is not in hosts (host_not_allowed)', async () => {
      const received = asReceived(await sign(backend, { headers: { Host: `${HOST}:8443` } }));
      expectRefused(await verify(received, options({ hosts: [HOST] })), 401, 'host_not_allowed');
    });

    it('matches hosts case-insensitively', async () => {
      const received = asReceived(await sign(backend));
      expect(await verify(received, options({ hosts: ['AURA.Example.COM'] }))).toEqual(ACCEPTED);
      const mixed = asReceived(await sign(backend, { headers: { Host: 'Aura.Example.Com' } }));
      expect(await verify(mixed, options({ hosts: ['other.example', HOST] }))).toEqual(ACCEPTED);
    });

    it('refuses an app id outside only (403 app_not_allowed)', async () => {
      const received = asReceived(await sign(backend));
      expectRefused(
        await verify(received, options({ only: ['billing-service'] })),
        403,
        'app_not_allowed',
      );
    });

    it('accepts an app id inside only', async () => {
      const received = asReceived(await sign(backend));
      expect(await verify(received, options({ only: ['billing-service', APP_ID] }))).toEqual(
        ACCEPTED,
      );
    });

    it('checks the signature before only (a bad signature is 401, not 403)', async () => {
      const genuine = asReceived(await sign(backend));
      const forged = {
        ...genuine,
        headers: withSignature(genuine.headers, flipped(signatureOf(genuine.headers))),
      };
      expectRefused(
        await verify(forged, options({ only: ['billing-service'] })),
        401,
        'invalid_signature',
      );
    });
  });

  describe('never throws', () => {
    it('answers nonsense input with a refusal, not an exception', async () => {
      const inputs = [
        { method: 'GET', url: '/', headers: {} },
        { method: undefined, url: undefined, headers: null },
        { method: 'GET', url: 42, headers: { Authorization: 7 } },
      ] as unknown as Received[];
      for (const input of inputs) {
        const result = await verify(input, options());
        expect(result.ok).toBe(false);
      }
    });
  });
});
