import { describe, expect, it } from 'vitest';
import { type AuraErrorCode, isAuraError } from '../src/errors';
import {
  type SignableRequest,
  type SigningCredentials,
  type SignOptions,
  signRequestWith,
} from '../src/signing/sign';
import { backends } from './backends';

const SECRET = 'aura_sk_do_not_echo_me';
const CREDENTIALS: SigningCredentials = { appId: 'test-app-id', appSecret: SECRET };
const REQUEST: SignableRequest = {
  method: 'POST',
  url: '/api/auth/exchange',
  headers: { Host: 'aura.example.com' },
  body: { ttl: 3600 },
};
const OPTIONS: SignOptions = { timestamp: 1706140800, nonce: 'n-1' };

interface Case {
  name: string;
  credentials?: unknown;
  request?: Record<string, unknown>;
  options?: Record<string, unknown>;
}

const circular: Record<string, unknown> = {};
circular.self = circular;

const cases: Partial<Record<AuraErrorCode, Case[]>> = {
  invalid_credentials: [
    { name: 'no credentials', credentials: undefined },
    { name: 'an empty appId', credentials: { appId: '', appSecret: SECRET } },
    { name: 'an appId with ","', credentials: { appId: 'a,b', appSecret: SECRET } },
    { name: 'an appId with "/"', credentials: { appId: 'a/b', appSecret: SECRET } },
    { name: 'an appId with a space', credentials: { appId: 'a b', appSecret: SECRET } },
    { name: 'a non-ASCII appId', credentials: { appId: 'äpp', appSecret: SECRET } },
    { name: 'a numeric appId', credentials: { appId: 42, appSecret: SECRET } },
    { name: 'an empty appSecret', credentials: { appId: 'test-app-id', appSecret: '' } },
    { name: 'a missing appSecret', credentials: { appId: 'test-app-id' } },
  ],
  invalid_method: [
    { name: 'an empty method', request: { method: '' } },
    { name: 'a method with a space', request: { method: 'GE T' } },
    { name: 'a method with a line break', request: { method: 'GET\n' } },
    { name: 'a non-string method', request: { method: undefined } },
  ],
  invalid_url: [
    { name: 'a non-string url', request: { url: 42 } },
    { name: 'a url with a control character', request: { url: '/a\u0001b' } },
    { name: 'a url with a line break', request: { url: '/a\r\nHost: evil' } },
    { name: 'an ftp:// url', request: { url: 'ftp://aura.example.com/x' } },
    { name: 'an absolute url with no host', request: { url: 'http://' } },
    {
      name: 'an absolute url with credentials',
      request: { url: 'https://u:p@aura.example.com/x' },
    },
    {
      name: 'a baseUrl that is not absolute',
      request: { url: '/x', baseUrl: 'aura.example.com/api' },
    },
    {
      name: 'a baseUrl with a query',
      request: { url: '/x', baseUrl: 'https://aura.example.com/api?x=1' },
    },
    {
      name: 'a baseUrl of another scheme',
      request: { url: '/x', baseUrl: 'ws://aura.example.com' },
    },
    { name: 'a null query value', request: { query: { a: null } } },
    { name: 'an object query value', request: { query: { a: {} } } },
    { name: 'a lone surrogate in a query key', request: { query: { '\ud800': 'x' } } },
    { name: 'a lone surrogate in the URL query', request: { url: '/x?a=\ud800' } },
  ],
  invalid_path: [
    { name: 'a segment with %zz', request: { url: '/api/%zz' } },
    { name: 'a lone %', request: { url: '/api/100%' } },
    { name: 'an encoded dot segment %2E', request: { url: '/api/%2E/x' } },
    { name: 'an encoded dot-dot segment %2e%2E', request: { url: '/api/%2e%2E/x' } },
    { name: 'percent-encoding that is not UTF-8', request: { url: '/api/%C3' } },
    { name: 'a lone surrogate in the path', request: { url: '/api/\udc00' } },
  ],
  invalid_header: [
    { name: 'a header name with a space', request: { headers: { Host: 'h', 'X Bad': '1' } } },
    { name: 'an empty header name', request: { headers: { Host: 'h', '': '1' } } },
    { name: 'a non-string header value', request: { headers: { Host: 'h', 'X-Count': 3 } } },
    {
      name: 'a header value with CR LF',
      request: { headers: { Host: 'h', 'X-A': 'a\r\nX-B: b' } },
    },
    { name: 'a header value with NUL', request: { headers: { Host: 'h', 'X-A': 'a\0' } } },
    { name: 'a header value beyond U+00FF', request: { headers: { Host: 'h', 'X-A': '€' } } },
    { name: 'a header given twice in two casings', request: { headers: { Host: 'h', host: 'h' } } },
    {
      name: 'an X-Aura-Timestamp header',
      request: { headers: { Host: 'h', 'X-Aura-Timestamp': '1706140800' } },
    },
    { name: 'an X-Aura-Trace header', request: { headers: { Host: 'h', 'x-aura-trace': 't' } } },
    { name: 'an Authorization header', request: { headers: { Host: 'h', Authorization: 'x' } } },
  ],
  invalid_body: [
    { name: 'a circular object', request: { body: circular } },
    { name: 'a BigInt', request: { body: 10n } },
    { name: 'a function', request: { body: () => 1 } },
    { name: 'a symbol', request: { body: Symbol('x') } },
    {
      name: 'an object whose toJSON answers undefined',
      request: { body: { toJSON: () => undefined } },
    },
    { name: 'URLSearchParams', request: { body: new URLSearchParams('a=1') } },
    { name: 'a Blob', request: { body: new Blob(['x']) } },
    { name: 'a ReadableStream', request: { body: new ReadableStream() } },
    { name: 'FormData', request: { body: new FormData() } },
  ],
  invalid_timestamp: [
    { name: 'milliseconds', options: { timestamp: 1706140800123 } },
    { name: 'a negative number', options: { timestamp: -1 } },
    { name: 'a fraction', options: { timestamp: 1706140800.5 } },
    { name: 'NaN', options: { timestamp: Number.NaN } },
    { name: 'a string with a leading zero', options: { timestamp: '01706140800' } },
    { name: 'a string in exponent form', options: { timestamp: '1e9' } },
    { name: 'a string with a sign', options: { timestamp: '+1706140800' } },
    { name: 'a string with a space', options: { timestamp: ' 1706140800' } },
    { name: 'an empty string', options: { timestamp: '' } },
    { name: 'a date past 9999-12-31', options: { timestamp: 253_402_300_800 } },
  ],
  invalid_nonce: [
    { name: 'an empty nonce', options: { nonce: '' } },
    { name: 'a nonce with a space', options: { nonce: 'a b' } },
    { name: 'a nonce of 129 characters', options: { nonce: 'n'.repeat(129) } },
    { name: 'a non-ASCII nonce', options: { nonce: 'nöncé' } },
    { name: 'a non-string nonce', options: { nonce: 42 } },
  ],
  invalid_argument: [
    { name: 'a timestamp in the request', request: { timestamp: 1706140800 } },
    { name: 'a nonce in the request', request: { nonce: 'n-2' } },
    { name: 'a misspelt request field', request: { header: { Host: 'h' } } },
    { name: 'a request field among the options', options: { body: 'x' } },
    { name: 'an unknown option', options: { ts: 1706140800 } },
  ],
  missing_host: [
    { name: 'a relative url, no baseUrl and no Host', request: { headers: {} } },
    { name: 'a blank Host header', request: { headers: { Host: '  \t ' } } },
    { name: 'an empty Host header', request: { headers: { host: '' } } },
  ],
};

describe.each(backends)('signer refusals with %s', (_, backend) => {
  it('signs the unmodified base request (control)', async () => {
    const signed = await signRequestWith(backend, CREDENTIALS, REQUEST, OPTIONS);
    expect(signed.headers.Authorization).toMatch(/^AURA-HMAC-SHA256 Credential=test-app-id,/);
  });

  for (const [code, list] of Object.entries(cases)) {
    it.each((list ?? []).map((c) => [c.name, c] as const))(
      `refuses %s with ${code}`,
      async (_name, c) => {
        const credentials = 'credentials' in c ? c.credentials : CREDENTIALS;
        const request = { ...REQUEST, ...c.request };
        const options = { ...OPTIONS, ...c.options };
        let error: unknown;
        try {
          await signRequestWith(
            backend,
            credentials as SigningCredentials,
            request as SignableRequest,
            options as SignOptions,
          );
        } catch (e) {
          error = e;
        }
        expect(error, 'expected the signer to refuse').toBeDefined();
        expect(isAuraError(error, code as AuraErrorCode)).toBe(true);
        expect((error as Error).message).not.toContain(SECRET);
      },
    );
  }
});

describe.each(backends)('unknown keys in plain JavaScript with %s', (_, backend) => {
  async function refusal(request: object, options?: object): Promise<Error> {
    try {
      await signRequestWith(
        backend,
        CREDENTIALS,
        request as SignableRequest,
        options as SignOptions,
      );
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected the signer to refuse');
  }

  it('names a timestamp given in the request, and where it goes', async () => {
    const error = await refusal({ ...REQUEST, timestamp: 1706140800 }, { nonce: 'n-1' });
    expect(isAuraError(error, 'invalid_argument')).toBe(true);
    expect(error.message).toBe(
      'unknown request field "timestamp": timestamp is an option: pass it in the third argument, signRequest(credentials, request, { timestamp })',
    );
  });

  it('names any other unknown request field and lists the known ones', async () => {
    const error = await refusal({ ...REQUEST, qs: { a: 1 } }, OPTIONS);
    expect(error.message).toBe(
      'unknown request field "qs": a request has method, url, baseUrl, headers, query and body',
    );
  });

  it('names a request field given among the options', async () => {
    const error = await refusal(REQUEST, { ...OPTIONS, headers: {} });
    expect(isAuraError(error, 'invalid_argument')).toBe(true);
    expect(error.message).toBe(
      'unknown signing option "headers": headers belongs in the request (the second argument)',
    );
  });

  it('ignores inherited keys but refuses an own key even when it is undefined', async () => {
    const inherited = Object.assign(Object.create({ timestamp: 1 }), REQUEST) as SignableRequest;
    await expect(signRequestWith(backend, CREDENTIALS, inherited, OPTIONS)).resolves.toBeDefined();
    const error = await refusal({ ...REQUEST, nonce: undefined }, OPTIONS);
    expect(error.message).toContain('"nonce"');
  });
});

describe.each(backends)('signed body bytes with %s', (_, backend) => {
  const bytes = new TextEncoder().encode('{"ttl":3600}');

  it('hands back bytes over a plain ArrayBuffer, without copying them', async () => {
    const signed = await signRequestWith(
      backend,
      CREDENTIALS,
      { ...REQUEST, body: bytes },
      OPTIONS,
    );
    expect(signed.body).toBe(bytes);
    expect(signed.body).toBeInstanceOf(Uint8Array);
  });

  it('copies bytes out of shared memory, which fetch refuses, and signs the same bytes', async () => {
    const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
    shared.set(bytes);
    const fromShared = await signRequestWith(
      backend,
      CREDENTIALS,
      { ...REQUEST, body: shared },
      OPTIONS,
    );
    const fromPlain = await signRequestWith(
      backend,
      CREDENTIALS,
      { ...REQUEST, body: bytes },
      OPTIONS,
    );
    const body = fromShared.body as Uint8Array;
    expect(body.buffer).toBeInstanceOf(ArrayBuffer);
    expect([...body]).toEqual([...bytes]);
    expect(fromShared.headers.Authorization).toBe(fromPlain.headers.Authorization);
  });

  it('takes a DataView over part of a buffer as exactly those bytes', async () => {
    const padded = new Uint8Array(bytes.length + 4);
    padded.set(bytes, 2);
    const view = new DataView(padded.buffer, 2, bytes.length);
    const signed = await signRequestWith(backend, CREDENTIALS, { ...REQUEST, body: view }, OPTIONS);
    expect([...(signed.body as Uint8Array)]).toEqual([...bytes]);
  });
});
