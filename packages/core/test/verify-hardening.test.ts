// Regression tests for the verifier holes found by the adversarial review (issue 8, items 1–7).
// Each test names the item it closes; each failed on the verifier as it landed.
import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { CryptoBackend } from '../src/crypto/types';
import { MemoryNonceStore, type NonceStore } from '../src/replay/nonce-store';
import {
  type SignableRequest,
  type SignedRequest,
  type SigningCredentials,
  signRequestWith,
} from '../src/signing/sign';
import {
  type VerifiableRequest,
  type VerifyOptions,
  type VerifyResult,
  verifyRequestWith,
} from '../src/signing/verify';
import { backends } from './backends';

const APP_ID = 'partner-app';
const SECRET = 'partner-secret';
const CREDENTIALS: SigningCredentials = { appId: APP_ID, appSecret: SECRET };
const TS = 1706140800;
const HOST = 'svc.example';
const ACCEPTED = { ok: true, appId: APP_ID };

function sign(
  backend: CryptoBackend,
  request: Partial<SignableRequest> = {},
  credentials: SigningCredentials = CREDENTIALS,
): Promise<SignedRequest> {
  return signRequestWith(
    backend,
    credentials,
    { method: 'POST', url: '/api/exchange', headers: { Host: HOST }, body: '{"a":1}', ...request },
    { timestamp: TS },
  );
}

function received(signed: SignedRequest, url = signed.url): VerifiableRequest {
  const request: VerifiableRequest = { method: signed.method, url, headers: { ...signed.headers } };
  if (signed.body !== undefined) request.body = signed.body;
  return request;
}

function options(extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    secrets: { [APP_ID]: SECRET },
    now: () => TS * 1000,
    nonceStore: new MemoryNonceStore(),
    ...extra,
  };
}

function expectRefused(result: VerifyResult, status: number, code: string): void {
  expect(result).toEqual({ ok: false, status, code, message: expect.any(String) });
}

describe.each(backends)('issue 8 with %s', (_, backend) => {
  const verify = (request: VerifiableRequest, opts: VerifyOptions = options()) =>
    verifyRequestWith(backend, request, opts);

  describe('item 1: the signature covers the path the server routes on', () => {
    it('refuses POST /api/auth\\/../exchange signed for /api/exchange (invalid_path)', async () => {
      const signed = await sign(backend);
      // A WHATWG URL router reads `\` as `/`: this is routed to /api/auth/exchange.
      expect(new URL('/api/auth\\/../exchange', 'http://h').pathname).toBe('/api/auth/exchange');
      expectRefused(await verify(received(signed, '/api/auth\\/../exchange')), 400, 'invalid_path');
    });

    it('refuses POST /api/admin\\/../orders signed for /api/orders (invalid_path)', async () => {
      const signed = await sign(backend, { url: '/api/orders' });
      expectRefused(await verify(received(signed, '/api/admin\\/../orders')), 400, 'invalid_path');
      expectRefused(
        await verify(received(signed, `http://${HOST}/api/admin\\/../orders`)),
        400,
        'invalid_path',
      );
    });

    const refusedSpellings = [
      '/api\\exchange',
      '/api/./exchange',
      '/api/x/../exchange',
      '/api/exchange/.',
      '/api/exchange/x/..',
      '/api//exchange',
      '//api/exchange',
      '/api/exchange//',
      '/api/%2e/exchange',
      '/api/%2E/exchange',
      '/api/x/%2e%2e/exchange',
      '/api/x/%2E%2e/exchange',
      '/api/x/.%2E/exchange',
      '/api/x/%2e./exchange',
      '/api/exchange/%2e',
      '/api/exchange/%2E%2E',
      'api/exchange',
      '*',
      '',
      '/api/ex\tchange',
      '/api/ex change',
      '/api/exchange\n',
      `http://${HOST}//api/exchange`,
      `http://${HOST}/api/./exchange`,
    ];
    it.each(refusedSpellings)('refuses the raw target %j with 400 invalid_path', async (target) => {
      const signed = await sign(backend);
      expectRefused(await verify(received(signed, target)), 400, 'invalid_path');
    });

    it('refuses a bad path before any signature work (no secret lookup, no hashing)', async () => {
      const signed = await sign(backend);
      const secrets = vi.fn(() => SECRET);
      const counting: CryptoBackend = {
        ...backend,
        sha256Hex: vi.fn(backend.sha256Hex),
        hmacHex: vi.fn(backend.hmacHex),
        deriveSigningKey: vi.fn(backend.deriveSigningKey),
      };
      const result = await verifyRequestWith(
        counting,
        received(signed, '/api/x/../exchange'),
        options({ secrets }),
      );
      expectRefused(result, 400, 'invalid_path');
      expect(secrets).not.toHaveBeenCalled();
      expect(counting.sha256Hex).not.toHaveBeenCalled();
      expect(counting.hmacHex).not.toHaveBeenCalled();
    });

    it('still accepts a trailing slash, dots inside segments, and anything in the query', async () => {
      for (const url of ['/api/uploads/', '/api/v1.2/a..b/.well-known/...']) {
        const signed = await sign(backend, { url });
        expect(await verify(received(signed))).toEqual(ACCEPTED);
      }
      const withQuery = await sign(backend, { url: '/api/exchange?next=/a/../b//c\\d&e=%2e%2e' });
      expect(received(withQuery).url).toBe('/api/exchange?next=/a/../b//c\\d&e=%2e%2e');
      expect(await verify(received(withQuery))).toEqual(ACCEPTED);
    });

    it('the signer never sends a path the rule refuses', async () => {
      const inputs = ['/a/./b', '/a/../b', '//a//b//', '/a\\b', '/a/b/..', '/a/b/.', '/./', '/..'];
      for (const url of inputs) {
        const signed = await sign(backend, { url });
        expect(signed.url).not.toMatch(/\\|\/\.{1,2}(?:\/|$)|\/\/|%2e/i);
        expect(await verify(received(signed))).toEqual(ACCEPTED);
      }
    });
  });

  describe('item 3: an absolute-form target names the signed host', () => {
    it('refuses POST http://evil.example/api/orders with Host svc.example, hosts given (host_not_allowed)', async () => {
      const signed = await sign(backend, { url: '/api/orders' });
      expectRefused(
        await verify(
          received(signed, 'http://evil.example/api/orders'),
          options({ hosts: [HOST] }),
        ),
        401,
        'host_not_allowed',
      );
    });

    it('refuses an absolute-form authority other than the signed Host without a hosts list', async () => {
      const signed = await sign(backend, { url: '/api/orders' });
      for (const target of [
        'http://evil.example/api/orders',
        `http://${HOST}:8080/api/orders`,
        `http://user@${HOST}/api/orders`,
        `http://${HOST}.evil.example/api/orders`,
        'http:///api/orders',
      ]) {
        expectRefused(await verify(received(signed, target)), 401, 'host_not_allowed');
      }
    });

    it('accepts an absolute-form target whose authority is the signed Host (any case)', async () => {
      const signed = await sign(backend, { url: '/api/orders' });
      expect(await verify(received(signed, `https://${HOST}/api/orders`))).toEqual(ACCEPTED);
      const again = await sign(backend, { url: '/api/orders' });
      expect(
        await verify(received(again, 'HTTP://SVC.Example/api/orders'), options({ hosts: [HOST] })),
      ).toEqual(ACCEPTED);
    });
  });

  describe('item 5: every await outside the process has a deadline', () => {
    it('answers 503 secret_lookup_failed when the secrets function never settles', async () => {
      const signed = await sign(backend);
      const secrets = () => new Promise<string>(() => {});
      expectRefused(
        await verify(received(signed), options({ secrets, timeoutMs: 20 })),
        503,
        'secret_lookup_failed',
      );
    });

    it('answers 503 nonce_store_unavailable when nonceStore.claim never settles', async () => {
      const signed = await sign(backend);
      const nonceStore: NonceStore = { claim: () => new Promise<boolean>(() => {}) };
      expectRefused(
        await verify(received(signed), options({ nonceStore, timeoutMs: 20 })),
        503,
        'nonce_store_unavailable',
      );
    });

    it('defaults to a 2000 ms deadline', async () => {
      const signed = await sign(backend);
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        let asked!: () => void;
        const lookupStarted = new Promise<void>((resolve) => {
          asked = resolve;
        });
        const secrets = () => {
          asked();
          return new Promise<string>(() => {});
        };
        let settled: VerifyResult | undefined;
        const pending = verify(received(signed), options({ secrets })).then((r) => {
          settled = r;
          return r;
        });
        // WebCrypto hashes off the main thread: the clock starts when the lookup does.
        await lookupStarted;
        await vi.advanceTimersByTimeAsync(1999);
        expect(settled).toBeUndefined();
        await vi.advanceTimersByTimeAsync(1);
        expectRefused(await pending, 503, 'secret_lookup_failed');
      } finally {
        vi.useRealTimers();
      }
    });

    it('leaves no timer holding the process open, settled or pending', async () => {
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const before = timers();
      const signed = await sign(backend);
      const secrets = async () => SECRET;
      const nonceStore: NonceStore = { claim: async () => true };
      expect(
        await verify(received(signed), options({ secrets, nonceStore, timeoutMs: 60_000 })),
      ).toEqual(ACCEPTED);
      expect(timers()).toBe(before);
      // A lookup still pending holds a timer, but an unref'd one: the process may still exit.
      const hanging = verify(
        received(await sign(backend)),
        options({ secrets: () => new Promise<string>(() => {}), timeoutMs: 60_000 }),
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(timers()).toBe(before);
      void hanging;
    });

    it('refuses a timeoutMs that is not a positive finite number (verifier_error)', async () => {
      const signed = await sign(backend);
      for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '100']) {
        expectRefused(
          await verify(received(signed), options({ timeoutMs: timeoutMs as number })),
          500,
          'verifier_error',
        );
      }
    });
  });

  describe('item 6: options are checked, not coerced; methods are ASCII tokens', () => {
    it('refuses only given as a string, which would let partner-app in through includes (verifier_error)', async () => {
      const signed = await sign(backend);
      expectRefused(
        await verify(received(signed), options({ only: 'partner-app-2' as unknown as string[] })),
        500,
        'verifier_error',
      );
    });

    it('refuses hosts and only that are not arrays of strings (verifier_error)', async () => {
      const signed = await sign(backend);
      const bad: unknown[] = [HOST, [HOST, 5], new Set([HOST]), null, { 0: HOST, length: 1 }];
      for (const value of bad) {
        expectRefused(
          await verify(received(signed), options({ hosts: value as string[] })),
          500,
          'verifier_error',
        );
        expectRefused(
          await verify(received(signed), options({ only: value as string[] })),
          500,
          'verifier_error',
        );
      }
    });

    it('refuses secrets that are neither an object nor a function (verifier_error)', async () => {
      const signed = await sign(backend);
      for (const secrets of [undefined, null, 'secret', 42]) {
        expectRefused(
          await verify(received(signed), options({ secrets: secrets as unknown as never })),
          500,
          'verifier_error',
        );
      }
    });

    it('does not verify poſt as POST (invalid_method)', async () => {
      const signed = await sign(backend);
      expect('poſt'.toUpperCase()).toBe('POST');
      expectRefused(await verify({ ...received(signed), method: 'poſt' }), 400, 'invalid_method');
    });

    it('refuses a method with characters outside the RFC 9110 token set (invalid_method)', async () => {
      const signed = await sign(backend);
      for (const method of ['', 'PO ST', 'POST\n', 'PO/ST', 'ＰＯＳＴ', 'po\u0130st']) {
        expectRefused(await verify({ ...received(signed), method }), 400, 'invalid_method');
      }
    });

    it('still upper-cases an ASCII method (post verifies as POST)', async () => {
      const signed = await sign(backend);
      expect(await verify({ ...received(signed), method: 'post' })).toEqual(ACCEPTED);
    });
  });

  describe('issue 9: what Node hands over is accepted as is', () => {
    it('refuses an absent method with invalid_method and an absent url with invalid_path', async () => {
      const signed = await sign(backend);
      const nodeLike: { method: string | undefined; url: string | undefined } = {
        method: undefined,
        url: '/api/exchange',
      };
      expectRefused(await verify({ ...received(signed), ...nodeLike }), 400, 'invalid_method');
      expectRefused(
        await verify({ ...received(signed), method: 'POST', url: undefined }),
        400,
        'invalid_path',
      );
    });
  });

  describe('item 7: bodies as bytes in any form, the same on every backend', () => {
    const text = '{"a":"é\u{1F600}"}';
    const bytes = new TextEncoder().encode(text);
    const forms: Array<[string, () => VerifiableRequest['body']]> = [
      ['string', () => text],
      ['Uint8Array', () => bytes.slice()],
      ['Buffer', () => Buffer.from(bytes)],
      ['ArrayBuffer', () => bytes.slice().buffer],
      ['DataView', () => new DataView(bytes.slice().buffer)],
      [
        'a Uint8Array over part of a larger buffer',
        () => {
          const big = new Uint8Array(bytes.length + 7);
          big.set(bytes, 3);
          return big.subarray(3, 3 + bytes.length);
        },
      ],
      [
        'an Int8Array over part of a larger buffer',
        () => {
          const big = new Uint8Array(bytes.length + 7);
          big.set(bytes, 5);
          return new Int8Array(big.buffer, 5, bytes.length);
        },
      ],
      [
        'a Uint8Array over a SharedArrayBuffer',
        () => {
          const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
          shared.set(bytes);
          return shared;
        },
      ],
    ];
    it.each(forms)('accepts the signed body given as %s', async (_name, body) => {
      const signed = await sign(backend, { body: text });
      expect(await verify({ ...received(signed), body: body() })).toEqual(ACCEPTED);
    });

    it('accepts an empty body in any form as no body', async () => {
      for (const body of [
        '',
        new Uint8Array(0),
        new ArrayBuffer(0),
        new DataView(new ArrayBuffer(0)),
      ]) {
        const signed = await sign(backend, { method: 'GET', body: undefined });
        expect(await verify({ ...received(signed), body })).toEqual(ACCEPTED);
      }
    });

    it('refuses a body that is not bytes or a string (a parsed object) as a verifier error', async () => {
      const signed = await sign(backend, { body: { a: 1 } });
      for (const body of [{ a: 1 }, 42, [1, 2]]) {
        expectRefused(
          await verify({ ...received(signed), body: body as unknown as string }),
          500,
          'verifier_error',
        );
      }
    });
  });
});

describe('item 2: one replay history per process, whichever copy of the module verifies', () => {
  it('refuses through a second copy of the verifier a request the first copy accepted', async () => {
    const signed = await signRequestWith(
      backends[0]![1],
      CREDENTIALS,
      { method: 'GET', url: '/api/orders', headers: { Host: HOST } },
      { timestamp: TS, nonce: `shared-${randomUUID()}` },
    );
    const request = { method: 'GET', url: '/api/orders', headers: signed.headers };
    const opts = { secrets: { [APP_ID]: SECRET }, now: () => TS * 1000 };
    vi.resetModules();
    const first = await import('../src/signing/verify');
    vi.resetModules();
    const second = await import('../src/signing/verify');
    expect(second.verifyRequest).not.toBe(first.verifyRequest);
    expect(await first.verifyRequest(request, opts)).toEqual(ACCEPTED);
    expectRefused(await second.verifyRequest(request, opts), 401, 'replayed_nonce');
  });

  it('keeps the default store on globalThis under Symbol.for("@aura/core.defaultNonceStore")', async () => {
    const { verifyRequest } = await import('../src/signing/verify');
    const signed = await signRequestWith(
      backends[0]![1],
      CREDENTIALS,
      { method: 'GET', url: '/api/orders', headers: { Host: HOST } },
      { timestamp: TS },
    );
    await verifyRequest(
      { method: 'GET', url: '/api/orders', headers: signed.headers },
      { secrets: { [APP_ID]: SECRET }, now: () => TS * 1000 },
    );
    const store = (globalThis as Record<symbol, unknown>)[
      Symbol.for('@aura/core.defaultNonceStore')
    ];
    expect(store).toBeInstanceOf(Object);
    expect(typeof (store as NonceStore).claim).toBe('function');
  });
});

describe.each(backends)('item 4 with %s: unknown app ids cost what known ones do', (_, backend) => {
  /** The backend, counting key derivations (a fresh object, so a fresh key cache too). */
  function counting() {
    const derive = vi.fn(backend.deriveSigningKey);
    return { backend: { ...backend, deriveSigningKey: derive } as CryptoBackend, derive };
  }

  async function firstAndSecond(known: boolean): Promise<number[]> {
    const { backend: b, derive } = counting();
    const counts: number[] = [];
    for (const appId of [`id-${randomUUID()}`, `id-${randomUUID()}`]) {
      const signed = await signRequestWith(
        backend,
        { appId, appSecret: `secret-${appId}` },
        { method: 'GET', url: '/api/orders', headers: { Host: HOST } },
        { timestamp: TS },
      );
      const secrets = known ? { [appId]: `secret-${appId}` } : {};
      for (let i = 0; i < 2; i++) {
        const before = derive.mock.calls.length;
        const request = { method: 'GET', url: '/api/orders', headers: signed.headers };
        await verifyRequestWith(b, request, {
          secrets,
          now: () => TS * 1000,
          nonceStore: new MemoryNonceStore(),
        });
        counts.push(derive.mock.calls.length - before);
      }
    }
    return counts;
  }

  it('derives a key on the first request for each unknown id and caches it, exactly as for a known id', async () => {
    const known = await firstAndSecond(true);
    expect(known).toEqual([1, 0, 1, 0]);
    expect(await firstAndSecond(false)).toEqual(known);
  });
});
