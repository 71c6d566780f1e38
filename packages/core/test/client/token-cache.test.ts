import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AuraClient,
  AuraError,
  ensureAuraToken,
  isAuraError,
  MemoryTokenStore,
  type TokenStore,
} from '../../src/index';
import { startTestServer, type TestServer } from '../support/aura-server';
import { caught, clientFor, eventually } from './helpers';

let server: TestServer;

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  vi.useRealTimers();
  await server.close();
});

const HOUR = 3600_000;
const MINUTE = 60_000;

describe('single flight', () => {
  it('1000 concurrent getAccessToken() on a cold cache cause one exchange', async () => {
    const client = clientFor(server);
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => client.getAccessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(server.seen('/auth/exchange')).toHaveLength(1);
    expect(server.seen('/auth/exchange')[0]!.verified).toBe(true);
  });

  it('1000 concurrent callers while a cold exchange is in flight join it', async () => {
    const client = clientFor(server);
    const release = server.holdExchanges();
    const first = client.getAccessToken();
    await eventually(() => expect(server.exchangeArrivals).toBe(1));
    const rest = Promise.all(Array.from({ length: 1000 }, () => client.getAccessToken()));
    release();
    const tokens = [await first, ...(await rest)];
    expect(new Set(tokens).size).toBe(1);
    expect(server.exchangeArrivals).toBe(1);
  });

  it('a failed exchange rejects all its waiters, and the next call starts afresh', async () => {
    const client = clientFor(server);
    server.hook = () => ({ status: 500, body: { message: 'exchange is down' } });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => client.getAccessToken()),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    for (const r of results)
      expect(isAuraError((r as PromiseRejectedResult).reason, 'api')).toBe(true);
    expect(server.seen('/auth/exchange')).toHaveLength(1);
    server.hook = undefined;
    expect(await client.getAccessToken()).toMatch(/^aubt_/);
    expect(server.seen('/auth/exchange')).toHaveLength(2);
  });

  it('two clients sharing a token store exchange once between them', async () => {
    const tokenStore = new MemoryTokenStore();
    const a = clientFor(server, { tokenStore });
    const b = clientFor(server, { tokenStore });
    const release = server.holdExchanges();
    const all = Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).getAccessToken()),
    );
    await eventually(() => expect(server.exchangeArrivals).toBe(1));
    release();
    expect(new Set(await all).size).toBe(1);
    expect(server.exchangeArrivals).toBe(1);
  });
});

describe('refresh ahead (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
  });

  it('serves the cached token just before the window, and inside it runs exactly one refresh', async () => {
    const client = clientFor(server);
    const start = Date.now();
    const first = await client.getAccessToken();

    // Window: the last min(5 min, 25 % of 1 h) = 5 min.
    vi.setSystemTime(start + HOUR - 5 * MINUTE - 1000);
    expect(await client.getAccessToken()).toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.seen('/auth/exchange')).toHaveLength(1);

    const release = server.holdExchanges();
    vi.setSystemTime(start + HOUR - 5 * MINUTE + 1000);
    const during = await Promise.all(Array.from({ length: 100 }, () => client.getAccessToken()));
    expect(new Set(during)).toEqual(new Set([first]));
    await eventually(() => expect(server.exchangeArrivals).toBe(2));
    // More callers while that refresh is still running: still the cached token, no second one.
    const more = await Promise.all(Array.from({ length: 1000 }, () => client.getAccessToken()));
    expect(new Set(more)).toEqual(new Set([first]));
    expect(server.exchangeArrivals).toBe(2);

    release();
    await eventually(async () => expect(await client.getAccessToken()).not.toBe(first));
    expect(server.seen('/auth/exchange')).toHaveLength(2);
  });

  it('uses 25 % of the lifetime as the window for short tokens', async () => {
    const client = clientFor(server, { tokenTtl: 600 });
    const start = Date.now();
    const first = await client.getAccessToken();
    vi.setSystemTime(start + 449_000); // window opens at 450 s
    expect(await client.getAccessToken()).toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.seen('/auth/exchange')).toHaveLength(1);
    vi.setSystemTime(start + 451_000);
    expect(await client.getAccessToken()).toBe(first);
    await eventually(() => expect(server.seen('/auth/exchange')).toHaveLength(2));
  });

  it('tolerates a failed refresh until the hard expiry, then blocks on a new exchange', async () => {
    const errors: unknown[] = [];
    const client = clientFor(server, { onRefreshError: (e) => errors.push(e) });
    const start = Date.now();
    const first = await client.getAccessToken();

    server.hook = () => ({ status: 500, body: { message: 'down' } });
    vi.setSystemTime(start + HOUR - 2 * MINUTE);
    expect(await client.getAccessToken()).toBe(first);
    await eventually(() => expect(errors).toHaveLength(1));
    expect(isAuraError(errors[0], 'api')).toBe(true);
    vi.setSystemTime(start + HOUR - 30_000);
    expect(await client.getAccessToken()).toBe(first);

    // Past expiry the caller waits for an exchange, and sees its failure.
    vi.setSystemTime(start + HOUR + 1000);
    expect(isAuraError(await caught(client.getAccessToken()), 'api')).toBe(true);
    server.hook = undefined;
    const next = await client.getAccessToken();
    expect(next).not.toBe(first);
  });
});

describe('refused exchange answers', () => {
  const cases: Array<[string, unknown]> = [
    ['expires_in 0', { access_token: 'aubt_x', token_type: 'Bearer', expires_in: 0 }],
    ['expires_in -5', { access_token: 'aubt_x', token_type: 'Bearer', expires_in: -5 }],
    ['expires_at in the past', { token: 'aubt_x', expires_at: '2001-01-01T00:00:00Z' }],
    ['no token', { expires_in: 3600 }],
    ['an empty token', { token: '', expires_in: 3600 }],
    ['no expiry', { token: 'aubt_x' }],
    ['expires_in not a number', { token: 'aubt_x', expires_in: 'soon' }],
    ['scopes not a list', { token: 'aubt_x', expires_in: 60, scopes: 'upload:init' }],
    ['max_uses 0', { token: 'aubt_x', expires_in: 60, max_uses: 0 }],
    ['a list', [{ token: 'aubt_x' }]],
    ['not JSON', 'hello'],
  ];
  for (const [name, body] of cases) {
    it(`refuses ${name} and caches nothing`, async () => {
      const client = clientFor(server);
      server.hook = () => ({
        status: 200,
        body,
        headers: { 'content-type': 'application/json' },
      });
      const error = await caught(client.getAccessToken());
      expect(isAuraError(error, 'invalid_response')).toBe(true);
      server.hook = undefined;
      expect(await client.getAccessToken()).toMatch(/^aubt_/);
      expect(server.seen('/auth/exchange')).toHaveLength(2);
    });
  }
});

describe('401 and the re-auth budget', () => {
  it('50 concurrent 401s for one token cause one re-exchange', async () => {
    const client = clientFor(server);
    const first = await client.getAccessToken();
    server.revoke(first);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.submit({ uploadId: `u${i}` })),
    );
    expect(results.every((r) => r.success)).toBe(true);
    expect(server.seen('/auth/exchange')).toHaveLength(2);
    const retried = server.seen('/uploader/manage/submit').filter((r) => r.status === 200);
    expect(new Set(retried.map((r) => r.bearer))).toEqual(new Set([server.issued[1]]));
  });

  it('a 401 carrying an older token causes no re-exchange', async () => {
    const client = clientFor(server);
    const first = await client.getAccessToken();
    let releaseLate!: () => void;
    const late = new Promise<void>((resolve) => {
      releaseLate = resolve;
    });
    server.hook = async (req) => {
      if (
        req.bearer === first &&
        req.json &&
        (req.json as { upload_id: string }).upload_id === 'late'
      ) {
        await late;
        return { status: 401, body: { error: { code: 'invalid_token', message: 'revoked' } } };
      }
      return undefined;
    };
    const slow = client.submit({ uploadId: 'late' });
    await eventually(() => expect(server.seen('/uploader/manage/submit')).toHaveLength(1));
    server.revoke(first);
    await client.submit({ uploadId: 'fast' }); // 401 → the one re-exchange
    expect(server.seen('/auth/exchange')).toHaveLength(2);
    releaseLate();
    expect((await slow).success).toBe(true); // retried with the new token
    expect(server.seen('/auth/exchange')).toHaveLength(2);
  });

  it('a 401 right after a fresh re-exchange is not retried a second time', async () => {
    const client = clientFor(server);
    server.hook = (req) =>
      req.path === '/api/uploader/manage/submit'
        ? { status: 401, body: { error: { code: 'invalid_token', message: 'no' } } }
        : undefined;
    const error = await caught(client.submit({ uploadId: 'u1' }));
    expect(isAuraError(error, 'auth')).toBe(true);
    expect(isAuraError(error, 'auth') && error.status).toBe(401);
    expect(server.seen('/uploader/manage/submit')).toHaveLength(2);
    expect(server.seen('/auth/exchange')).toHaveLength(2);
  });

  it('stops re-exchanging at 4 per window, fails fast, and opens again after the window', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const client = clientFor(server);
    server.hook = (req) =>
      req.path === '/api/uploader/manage/submit'
        ? { status: 401, body: { error: { code: 'invalid_token', message: 'no' } } }
        : undefined;
    await client.getAccessToken();
    for (let i = 0; i < 4; i++) {
      expect(isAuraError(await caught(client.submit({ uploadId: 'u' })), 'auth')).toBe(true);
    }
    expect(server.seen('/auth/exchange')).toHaveLength(5); // the first + 4 re-exchanges
    const exhausted = await caught(client.submit({ uploadId: 'u' }));
    expect(isAuraError(exhausted, 'reauth_budget_exhausted')).toBe(true);
    expect((exhausted as { retryAfter?: number }).retryAfter).toBeGreaterThan(0);
    const submitsSoFar = server.seen('/uploader/manage/submit').length;
    // Fails fast: no exchange and no call at all until the window frees.
    expect(
      isAuraError(await caught(client.submit({ uploadId: 'u' })), 'reauth_budget_exhausted'),
    ).toBe(true);
    expect(isAuraError(await caught(client.getAccessToken()), 'reauth_budget_exhausted')).toBe(
      true,
    );
    expect(server.seen('/uploader/manage/submit')).toHaveLength(submitsSoFar);
    expect(server.seen('/auth/exchange')).toHaveLength(5);

    vi.setSystemTime(Date.now() + 10 * MINUTE + 1000);
    server.hook = undefined;
    expect((await client.submit({ uploadId: 'u' })).success).toBe(true);
    expect(server.seen('/auth/exchange')).toHaveLength(6);
  });

  it('expiry refreshes do not spend the budget', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const client = clientFor(server, { reauthBudget: { max: 0, windowMs: 600_000 } });
    server.expiresIn = 60;
    const first = await client.getAccessToken();
    vi.setSystemTime(Date.now() + 61_000);
    server.expiresIn = undefined;
    expect(await client.getAccessToken()).not.toBe(first);
    expect(server.seen('/auth/exchange')).toHaveLength(2);
  });
});

describe('max_uses', () => {
  it('replaces an exhausted token before its next use', async () => {
    server.maxUses = 2;
    const client = clientFor(server);
    for (let i = 0; i < 5; i++) {
      expect((await client.submit({ uploadId: `u${i}` })).success).toBe(true);
    }
    // Every call succeeded on its first try: never a 401 for a used-up token.
    const submits = server.seen('/uploader/manage/submit');
    expect(submits).toHaveLength(5);
    expect(submits.every((r) => r.status === 200)).toBe(true);
    const perToken = new Map<string, number>();
    for (const r of submits) perToken.set(r.bearer!, (perToken.get(r.bearer!) ?? 0) + 1);
    expect([...perToken.values()].every((n) => n <= 2)).toBe(true);
    expect(server.seen('/auth/exchange').length).toBeGreaterThanOrEqual(3);
  });

  it('counts uses under concurrency', async () => {
    server.maxUses = 3;
    const client = clientFor(server);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => client.submit({ uploadId: `u${i}` })),
    );
    expect(results.every((r) => r.success)).toBe(true);
    expect(server.seen('/uploader/manage/submit').every((r) => r.status === 200)).toBe(true);
  });
});

describe('the warm path behind the token guard (ensureAuraToken)', () => {
  /** The in-memory store, answering every call a turn later, as a Redis one would. */
  function asyncStore(): TokenStore {
    const memory = new MemoryTokenStore();
    const later = <T>(value: T) => new Promise<T>((resolve) => setImmediate(() => resolve(value)));
    return {
      get: (key) => later(memory.get(key)),
      getOrLock: (key, lockMs) => later(memory.getOrLock(key, lockMs)),
      lock: (key, lockMs) => later(memory.lock(key, lockMs)),
      set: (key, token, lock) => later(memory.set(key, token, lock)),
      unlock: (key, lock) => later(memory.unlock(key, lock)),
      invalidate: (key, token) => later(memory.invalidate(key, token)),
      use: (key, token) => later(memory.use(key, token)),
    };
  }

  it('answers at once, not a promise, while the cache holds a usable token', async () => {
    const client = clientFor(server);
    const cold = ensureAuraToken(client);
    expect(cold).toBeInstanceOf(Promise); // the first call has an exchange to wait for
    expect(await cold).toBeUndefined();
    for (let i = 0; i < 100; i++) expect(ensureAuraToken(client)).toBeUndefined();
    expect(server.seen('/auth/exchange')).toHaveLength(1);
  });

  it('waits for a store that answers with promises, and still exchanges once', async () => {
    const client = clientFor(server, { tokenStore: asyncStore() });
    expect(await ensureAuraToken(client)).toBeUndefined();
    const warm = ensureAuraToken(client);
    expect(warm).toBeInstanceOf(Promise);
    expect(await warm).toBeUndefined();
    expect(server.seen('/auth/exchange')).toHaveLength(1);
  });

  it('asks a MemoryTokenStore subclass with its own get through it, still at once', async () => {
    class Counting extends MemoryTokenStore {
      gets = 0;
      override get(key: string) {
        this.gets += 1;
        return super.get(key);
      }
    }
    const tokenStore = new Counting();
    const client = clientFor(server, { tokenStore });
    expect(await ensureAuraToken(client)).toBeUndefined();
    const before = tokenStore.gets;
    expect(ensureAuraToken(client)).toBeUndefined();
    expect(tokenStore.gets).toBe(before + 1);
  });

  it('asks a client whose getAccessToken was replaced through it', async () => {
    class Offline extends AuraClient {
      override async getAccessToken(): Promise<string> {
        throw new AuraError('network', 'Aura is unreachable');
      }
    }
    const client = new Offline({ baseUrl: server.apiUrl, ...server.credentials });
    expect(await ensureAuraToken(client)).toMatchObject({
      status: 502,
      body: { error: { code: 'aura_unreachable' } },
    });
    expect(server.seen('/auth/exchange')).toHaveLength(0);
  });

  it('counts max_uses at once too, and never serves a used-up token', async () => {
    server.maxUses = 2;
    const client = clientFor(server);
    expect(await ensureAuraToken(client)).toBeUndefined(); // use 1
    const release = server.holdExchanges();
    expect(ensureAuraToken(client)).toBeUndefined(); // use 2, the last: its replacement is asked for
    await eventually(() => expect(server.exchangeArrivals).toBe(2));
    const third = ensureAuraToken(client); // none left: waits for the replacement
    expect(third).toBeInstanceOf(Promise);
    release();
    expect(await third).toBeUndefined();
    expect(server.seen('/auth/exchange')).toHaveLength(2);
  });

  describe('on a fake clock', () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    });

    it('starts the refresh ahead inside the window, still answering at once', async () => {
      const client = clientFor(server, { tokenTtl: 600 });
      const start = Date.now();
      expect(await ensureAuraToken(client)).toBeUndefined();
      vi.setSystemTime(start + 449_000); // the window opens at 450 s (25 % of 600 s)
      expect(ensureAuraToken(client)).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(server.seen('/auth/exchange')).toHaveLength(1);
      vi.setSystemTime(start + 451_000);
      expect(ensureAuraToken(client)).toBeUndefined();
      await eventually(() => expect(server.seen('/auth/exchange')).toHaveLength(2));
    });

    it('inside the expiry margin the token is not served: the caller waits for a new one', async () => {
      const client = clientFor(server, { tokenTtl: 600 });
      const start = Date.now();
      expect(await ensureAuraToken(client)).toBeUndefined();
      vi.setSystemTime(start + 596_000); // usable until 5 s before its expiry at 600 s
      const late = ensureAuraToken(client);
      expect(late).toBeInstanceOf(Promise);
      expect(await late).toBeUndefined();
      expect(server.seen('/auth/exchange')).toHaveLength(2);
    });
  });
});
