/**
 * The token cache against stores that are not the default: stores that throw or hang (every
 * call has a deadline; tokens fail open, the re-auth budget fails to a stricter local one), a
 * re-auth budget shared by processes that share a store (`reject` marks), and waiters woken by
 * the store (`waitFor`) instead of polling.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AuraClient,
  type AuraError,
  isAuraError,
  MemoryReauthStore,
  MemoryTokenStore,
  type ReauthStore,
  type StoredToken,
  type TokenStore,
} from '../../src/index';
import { TokenCache, type TokenCacheOptions } from '../../src/tokens/cache';
import { startTestServer, type TestServer } from '../support/aura-server';
import { caught, clientFor } from './helpers';

const MINUTE = 60_000;

function stored(name: string, lifetimeMs = 60 * MINUTE): StoredToken {
  const now = Date.now();
  return { token: name, issuedAt: now, expiresAt: now + lifetimeMs, scopes: ['upload:init'] };
}

/** A token store whose every call fails as `fail` says (a Redis that is down, a buggy store). */
function brokenStore(fail: () => Promise<never>): TokenStore {
  return {
    get: fail,
    getOrLock: fail,
    lock: fail,
    set: fail,
    unlock: fail,
    invalidate: fail,
    use: fail,
    reject: fail,
    waitFor: fail,
  };
}

const hang = () => new Promise<never>(() => {});

describe('a token store that fails or hangs (real Aura test server)', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await server.close();
  });

  it('throwing on every call: served from the process, one exchange for 100 callers, each failure told as store_unavailable', async () => {
    const told: AuraError[] = [];
    const client = clientFor(server, {
      tokenStore: brokenStore(() => Promise.reject(new Error('connection refused'))),
      onStoreError: (error) => {
        told.push(error);
        throw new Error('a hook that throws reaches no caller');
      },
    });
    const tokens = await Promise.all(Array.from({ length: 100 }, () => client.getAccessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(await client.getAccessToken()).toBe(tokens[0]);
    expect(server.seen('/auth/exchange')).toHaveLength(1);

    expect(told.length).toBeGreaterThan(0);
    for (const error of told) expect(isAuraError(error, 'store_unavailable')).toBe(true);
    expect(told[0]!.message).toBe('token store get failed: connection refused');
    expect(told.map((e) => e.details?.operation)).toEqual(
      expect.arrayContaining(['get', 'getOrLock', 'set']),
    );
  });

  it('throwing synchronously: a 401 still costs one re-exchange, charged to the budget', async () => {
    const client = clientFor(server, {
      tokenStore: {
        ...brokenStore(() => Promise.reject(new Error('unused'))),
        get() {
          throw new Error('sync failure');
        },
        invalidate() {
          throw new Error('sync failure');
        },
        reject() {
          throw new Error('sync failure');
        },
      },
      reauthBudget: { max: 1, windowMs: 10 * MINUTE },
    });
    const first = await client.getAccessToken();
    server.revoke(first);
    expect((await client.submit({ uploadId: 'u1' })).success).toBe(true);
    expect(server.seen('/auth/exchange')).toHaveLength(2);
    const second = await client.getAccessToken();
    expect(second).not.toBe(first);
    server.revoke(second);
    const error = await caught(client.submit({ uploadId: 'u2' }));
    expect(isAuraError(error, 'reauth_budget_exhausted')).toBe(true);
    expect(server.seen('/auth/exchange')).toHaveLength(2);
  });

  it('never answering: getAccessToken answers after storeTimeoutMs, and leaves no timer behind', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const told: AuraError[] = [];
    const client = clientFor(server, {
      tokenStore: brokenStore(hang),
      storeTimeoutMs: 800,
      onStoreError: (error) => told.push(error),
    });
    let answered: string | undefined;
    const pending = client.getAccessToken().then((token) => {
      answered = token;
      return token;
    });
    await vi.advanceTimersByTimeAsync(799);
    expect(answered).toBeUndefined();
    expect(told).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(await pending).toMatch(/^aubt_/);
    expect(server.seen('/auth/exchange')).toHaveLength(1);
    expect(told[0]?.message).toBe('token store get gave no answer within 800 ms');
    // After a missed deadline the store is left alone for a second: no 800 ms per call.
    expect(await client.getAccessToken()).toBe(answered);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a storeTimeoutMs that is not whole milliseconds from 1', () => {
    for (const storeTimeoutMs of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      const error = (() => {
        try {
          clientFor(server, { storeTimeoutMs });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isAuraError(error, 'configuration')).toBe(true);
      expect((error as Error).message).toContain('storeTimeoutMs');
    }
    expect(clientFor(server, { storeTimeoutMs: 1 })).toBeInstanceOf(AuraClient);
  });
});

describe('a re-auth store that fails or hangs (real Aura test server)', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
    server.hook = (req) =>
      req.path === '/api/uploader/manage/submit'
        ? { status: 401, body: { error: { code: 'invalid_token', message: 'no' } } }
        : undefined;
  });
  afterEach(async () => {
    vi.useRealTimers();
    await server.close();
  });

  const cases: Array<[string, ReauthStore['take']]> = [
    [
      'throws',
      () => {
        throw new Error('budget store down');
      },
    ],
    ['rejects', () => Promise.reject(new Error('budget store down'))],
    ['answers nonsense', () => ({ ok: 'yes' }) as never],
  ];
  for (const [name, take] of cases) {
    it(`${name}: 1 re-exchange per window in this process, not the budget's 4, never unlimited`, async () => {
      const told: AuraError[] = [];
      const client = clientFor(server, {
        reauthStore: { take },
        onStoreError: (error) => told.push(error),
      });
      await client.getAccessToken();
      expect(isAuraError(await caught(client.submit({ uploadId: 'u' })), 'auth')).toBe(true);
      expect(server.seen('/auth/exchange')).toHaveLength(2);
      const refused = await caught(client.submit({ uploadId: 'u' }));
      expect(isAuraError(refused, 'reauth_budget_exhausted')).toBe(true);
      expect(server.seen('/auth/exchange')).toHaveLength(2);
      expect(told).toHaveLength(2);
      for (const error of told) {
        expect(isAuraError(error, 'store_unavailable')).toBe(true);
        expect(error.details).toMatchObject({ store: 're-auth store', operation: 'take' });
      }
    });
  }

  it('never answers: the re-exchange waits storeTimeoutMs, then counts in the process', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    let asked = 0;
    const take = () => {
      asked += 1;
      return hang();
    };
    /** Real I/O turns (setImmediate is not faked) until the budget is asked `n` times. */
    const askedTimes = async (n: number) => {
      while (asked < n) await new Promise((resolve) => setImmediate(resolve));
    };
    const client = clientFor(server, { reauthStore: { take }, storeTimeoutMs: 500 });
    await client.getAccessToken();
    const first = caught(client.submit({ uploadId: 'u' }));
    await askedTimes(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(server.seen('/auth/exchange')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(isAuraError(await first, 'auth')).toBe(true);
    expect(server.seen('/auth/exchange')).toHaveLength(2);
    // Within the pause after a missed deadline the store is not asked: counted here at once.
    expect(
      isAuraError(await caught(client.submit({ uploadId: 'u' })), 'reauth_budget_exhausted'),
    ).toBe(true);
    expect(asked).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    await vi.advanceTimersByTimeAsync(1_000);
    const second = caught(client.submit({ uploadId: 'u' }));
    await askedTimes(2);
    await vi.advanceTimersByTimeAsync(500);
    expect(isAuraError(await second, 'reauth_budget_exhausted')).toBe(true);
    expect(server.seen('/auth/exchange')).toHaveLength(2);
  });
});

/** Two token caches sharing stores stand for two processes sharing Redis. */
function processes(
  store: TokenStore,
  extra: Partial<TokenCacheOptions> = {},
): { a: TokenCache; b: TokenCache; exchanges: () => number } {
  let count = 0;
  const reauthStore = new MemoryReauthStore();
  const make = () =>
    new TokenCache({
      store,
      reauthStore,
      key: 'k',
      budgetKey: 'budget',
      budget: { max: 1, windowMs: 10 * MINUTE },
      lockMs: 35_000,
      exchange: async () => stored(`aubt_${++count}`),
      ...extra,
    });
  return { a: make(), b: make(), exchanges: () => count };
}

describe('one re-auth budget for processes sharing a store', () => {
  it('a 401 seen by A charges the exchange B makes for it', async () => {
    const { a, b, exchanges } = processes(new MemoryTokenStore());
    const first = await a.get();
    await a.reject(first.token); // A saw the 401
    const second = await b.get(); // B needs a token first, takes the lock: a re-authentication
    expect(second.token).not.toBe(first.token);
    expect(await a.get()).toEqual(second); // A picks it up: no exchange, no charge
    expect(exchanges()).toBe(2);

    await b.reject(second.token);
    const refused = await caught(Promise.resolve(a.get())); // the budget (1) went on B's exchange
    expect(isAuraError(refused, 'reauth_budget_exhausted')).toBe(true);
    expect(exchanges()).toBe(2);
  });

  it('an expired or used-up token leaves no mark: its replacement is free', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { a, b, exchanges } = processes(new MemoryTokenStore(), {
        budget: { max: 0, windowMs: 10 * MINUTE },
      });
      await a.get();
      vi.setSystemTime(Date.now() + 61 * MINUTE);
      expect((await b.get()).token).toBe('aubt_2');
      expect((await a.get()).token).toBe('aubt_2');
      expect(exchanges()).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a late 401 for a replaced token marks nothing', async () => {
    const { a, b, exchanges } = processes(new MemoryTokenStore(), {
      budget: { max: 0, windowMs: 10 * MINUTE },
    });
    const first = await a.get();
    const store = new MemoryTokenStore();
    expect(store.reject('k', first.token)).toBe(false);
    await b.reject('aubt_older');
    expect(await a.get()).toEqual(first);
    expect(exchanges()).toBe(1);
  });
});

/** Delegates to a `MemoryTokenStore`, counting calls; `waitFor` only when asked. */
function counted(withWaitFor: boolean): { store: TokenStore; calls: Map<string, number> } {
  const inner = new MemoryTokenStore();
  const calls = new Map<string, number>();
  /** Counts a call of `name`, then answers what `answer` does. */
  const count =
    <A extends unknown[], R>(name: string, answer: (...args: A) => R) =>
    (...args: A): R => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return answer(...args);
    };
  const store: TokenStore = {
    get: count('get', (key: string) => inner.get(key)),
    getOrLock: count('getOrLock', (key: string, ms: number) => inner.getOrLock(key, ms)),
    lock: count('lock', (key: string, ms: number) => inner.lock(key, ms)),
    set: count('set', (key: string, token: StoredToken, lock?: string) =>
      inner.set(key, token, lock),
    ),
    unlock: count('unlock', (key: string, lock: string) => inner.unlock(key, lock)),
    invalidate: count('invalidate', (key: string, token: string) => inner.invalidate(key, token)),
    use: count('use', (key: string, token: string) => inner.use(key, token)),
    ...(withWaitFor
      ? { waitFor: count('waitFor', (key: string, ms: number) => inner.waitFor(key, ms)) }
      : {}),
  };
  return { store, calls };
}

describe('waiting for another process’s exchange (fake timers)', () => {
  afterEach(() => vi.useRealTimers());

  async function waitOneSecond(withWaitFor: boolean) {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { store, calls } = counted(withWaitFor);
    let finish!: (token: StoredToken) => void;
    let bExchanged = 0;
    const a = new TokenCache({
      store,
      reauthStore: new MemoryReauthStore(),
      key: 'k',
      budgetKey: 'budget',
      budget: { max: 4, windowMs: 10 * MINUTE },
      lockMs: 35_000,
      exchange: () => new Promise((resolve) => (finish = resolve)),
    });
    const b = new TokenCache({
      store,
      reauthStore: new MemoryReauthStore(),
      key: 'k',
      budgetKey: 'budget',
      budget: { max: 4, windowMs: 10 * MINUTE },
      lockMs: 35_000,
      exchange: async () => stored(`aubt_b${++bExchanged}`),
    });
    const gotA = a.get();
    await vi.advanceTimersByTimeAsync(0); // A holds the lock, its exchange in flight
    const gotB = b.get();
    await vi.advanceTimersByTimeAsync(1_000);
    const asked = calls.get('getOrLock') ?? 0;
    finish(stored('aubt_a'));
    await vi.advanceTimersByTimeAsync(withWaitFor ? 0 : 50);
    expect((await gotA).token).toBe('aubt_a');
    expect((await gotB).token).toBe('aubt_a');
    expect(bExchanged).toBe(0);
    return { asked, calls };
  }

  it('a store with waitFor: B asks once, sleeps until A keeps its token, asks once more', async () => {
    const { asked, calls } = await waitOneSecond(true);
    expect(asked).toBe(2); // A's, then B's
    expect(calls.get('getOrLock')).toBe(3);
    expect(calls.get('waitFor')).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a store without waitFor (written before it existed) still works, by polling every 50 ms', async () => {
    const { asked } = await waitOneSecond(false);
    expect(asked).toBeGreaterThanOrEqual(20);
  });

  it('a store whose waitFor answers at once cannot make the waiter spin', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const inner = new MemoryTokenStore();
    let asked = 0;
    const store: TokenStore = {
      get: (key) => inner.get(key),
      getOrLock: () => {
        asked += 1;
        return {};
      },
      lock: (key, ms) => inner.lock(key, ms),
      set: (key, token, lock) => inner.set(key, token, lock),
      unlock: (key, lock) => inner.unlock(key, lock),
      invalidate: (key, token) => inner.invalidate(key, token),
      use: (key, token) => inner.use(key, token),
      waitFor: () => undefined,
    };
    const { a, exchanges } = processes(store, { lockMs: 1_000 });
    const got = a.get();
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await got).token).toBe('aubt_1'); // exchanged anyway once the lock time ran out
    expect(exchanges()).toBe(1);
    expect(asked).toBeLessThanOrEqual(2 * (1_000 / 50) + 2);
  });
});

describe('MemoryTokenStore: reject marks and waitFor', () => {
  afterEach(() => vi.useRealTimers());

  it('reject forgets the token and marks the key until a token is kept', () => {
    const store = new MemoryTokenStore();
    const t1 = stored('t1');
    store.set('k', t1);
    expect(store.reject('k', 'other')).toBe(false);
    expect(store.getOrLock('k', 5_000)).toEqual({ token: t1 });
    expect(store.reject('k', 't1')).toBe(true);
    const { lock, reauth } = store.getOrLock('k', 5_000);
    expect(lock).toEqual(expect.any(String));
    expect(reauth).toBe(true);
    store.unlock('k', lock!); // the exchange failed
    const again = store.getOrLock('k', 5_000);
    expect(again.reauth).toBe(true); // still a re-auth: nothing kept yet
    store.set('k', stored('t2'), again.lock);
    expect(store.invalidate('k', 't2')).toBe(true); // expiry, used up: no mark
    expect(store.getOrLock('k', 5_000)).toEqual({ lock: expect.any(String) });
  });

  it('waitFor: at once when a token is held or no lock; on set; on unlock; at the lock’s expiry', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const store = new MemoryTokenStore();
    const settled = (promise: Promise<void>) => {
      let done = false;
      void promise.then(() => {
        done = true;
      });
      return () => done;
    };
    expect(settled(store.waitFor('k', 10_000))).toBeDefined();
    const free = settled(store.waitFor('k', 10_000));
    await vi.advanceTimersByTimeAsync(0);
    expect(free()).toBe(true);

    const { lock } = store.getOrLock('k', 3_000);
    const onSet = settled(store.waitFor('k', 10_000));
    await vi.advanceTimersByTimeAsync(100);
    expect(onSet()).toBe(false);
    store.set('k', stored('t1'), lock);
    await vi.advanceTimersByTimeAsync(0);
    expect(onSet()).toBe(true);
    const held = settled(store.waitFor('k', 10_000));
    await vi.advanceTimersByTimeAsync(0);
    expect(held()).toBe(true);

    store.invalidate('k', 't1');
    const second = store.lock('k', 3_000)!;
    const onUnlock = settled(store.waitFor('k', 10_000));
    store.unlock('k', 'not-the-owner');
    await vi.advanceTimersByTimeAsync(100);
    expect(onUnlock()).toBe(false);
    store.unlock('k', second);
    await vi.advanceTimersByTimeAsync(0);
    expect(onUnlock()).toBe(true);

    store.lock('k', 3_000);
    const onExpiry = settled(store.waitFor('k', 10_000));
    const bounded = settled(store.waitFor('k', 1_000));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bounded()).toBe(true);
    expect(onExpiry()).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(onExpiry()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
