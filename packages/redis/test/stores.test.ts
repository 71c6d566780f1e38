/**
 * Each store's own contract against a real redis-server, with two `createAuraRedis` on separate
 * connections standing for two instances (the fleet tests run them as real processes).
 */
import { isAuraError, type StoredToken } from '@aura/core';
import { type AuraRedis, createAuraRedis } from '@aura/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from './support/redis-server';

let server: RedisServer;
let admin: Redis;
const opened: AuraRedis[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((aura) => aura.close()));
  await admin.flushall();
});
afterAll(async () => {
  admin?.disconnect();
  await server?.close();
});

async function instance(options: Parameters<typeof createAuraRedis>[1] = {}): Promise<AuraRedis> {
  const aura = createAuraRedis(server.url, { onError: () => {}, ...options });
  opened.push(aura);
  await aura.ready();
  return aura;
}

function token(name: string, lifetimeMs = 60_000, maxUses?: number): StoredToken {
  const now = Date.now();
  return {
    token: name,
    issuedAt: now,
    expiresAt: now + lifetimeMs,
    scopes: ['upload:init'],
    ...(maxUses === undefined ? {} : { maxUses }),
  };
}

const KEY = 'http://127.0.0.1/api aura_pk_sandbox upload:init 3600';

describe('token store', () => {
  it('one lock for the fleet; the waiter is woken by the token, long before the lock runs out', async () => {
    const [a, b] = [await instance(), await instance()];
    const lock = await a.tokenStore.getOrLock(KEY, 10_000);
    expect(lock.lock).toEqual(expect.any(String));
    expect(await b.tokenStore.getOrLock(KEY, 10_000)).toEqual({}); // answered at once

    const started = Date.now();
    const waiting = b.tokenStore.waitFor!(KEY, 10_000);
    setTimeout(() => void a.tokenStore.set(KEY, token('aubt_one'), lock.lock), 100);
    await waiting;
    expect(Date.now() - started).toBeLessThan(5_000);

    expect((await b.tokenStore.getOrLock(KEY, 10_000)).token?.token).toBe('aubt_one');
    expect(await b.tokenStore.get(KEY)).toMatchObject({ token: 'aubt_one' });
  });

  it('a failed exchange frees the lock for the next one, and wakes the waiter to take it', async () => {
    const [a, b] = [await instance(), await instance()];
    const { lock } = await a.tokenStore.getOrLock(KEY, 10_000);
    const started = Date.now();
    const waiting = b.tokenStore.waitFor!(KEY, 10_000);
    setTimeout(() => void a.tokenStore.unlock(KEY, lock!), 50);
    await waiting;
    expect(Date.now() - started).toBeLessThan(5_000);

    expect((await b.tokenStore.getOrLock(KEY, 10_000)).lock).toEqual(expect.any(String));
  });

  it('waitFor answers at once with a token held or no lock, and at the latest when the lock runs out', async () => {
    const [a, b] = [await instance(), await instance()];
    let started = Date.now();
    await b.tokenStore.waitFor!(KEY, 10_000); // no lock: nothing to wait for
    await a.tokenStore.set(KEY, token('aubt_held'));
    await b.tokenStore.waitFor!(KEY, 10_000); // a token: nothing to wait for
    expect(Date.now() - started).toBeLessThan(1_000);

    await a.tokenStore.invalidate(KEY, 'aubt_held');
    expect((await a.tokenStore.getOrLock(KEY, 300)).lock).toEqual(expect.any(String));
    started = Date.now();
    await b.tokenStore.waitFor!(KEY, 10_000); // the holder died: woken by its lock's end
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await b.tokenStore.getOrLock(KEY, 10_000)).lock).toEqual(expect.any(String));
  });

  it('a 401 seen by one instance makes the exchange another instance takes the lock for a re-auth', async () => {
    const [a, b] = [await instance(), await instance()];
    await a.tokenStore.set(KEY, token('aubt_rejected'));
    expect(await b.tokenStore.reject!(KEY, 'aubt_other')).toBe(false); // a late 401: no mark
    expect(await a.tokenStore.reject!(KEY, 'aubt_rejected')).toBe(true);
    expect(await b.tokenStore.reject!(KEY, 'aubt_rejected')).toBe(false); // one per token

    const first = await b.tokenStore.getOrLock(KEY, 10_000);
    expect(first).toEqual({ lock: expect.any(String), reauth: true });
    await b.tokenStore.unlock(KEY, first.lock!); // that exchange failed: still a re-auth
    const second = await a.tokenStore.getOrLock(KEY, 10_000);
    expect(second).toEqual({ lock: expect.any(String), reauth: true });

    await a.tokenStore.set(KEY, token('aubt_fresh'), second.lock);
    expect(await admin.keys('*:rejected')).toEqual([]);
    // An expiry or a used-up token (invalidate) leaves no mark: its replacement is free.
    expect(await a.tokenStore.invalidate(KEY, 'aubt_fresh')).toBe(true);
    expect(await b.tokenStore.getOrLock(KEY, 10_000)).toEqual({ lock: expect.any(String) });
  });

  it('the mark sits beside the token under its hash tag, and does not live forever', async () => {
    const a = await instance();
    await a.tokenStore.set(KEY, token('aubt_x'));
    await a.tokenStore.reject!(KEY, 'aubt_x');
    const [mark] = await admin.keys('*:rejected');
    expect(mark).toMatch(/^\{aura:token:[0-9a-f]{32}\}:rejected$/);
    expect(await admin.pttl(mark!)).toBeGreaterThan(0);
  });

  it('a lost lock costs an extra exchange, never a wrong token, and its late unlock frees nothing', async () => {
    const [a, b, c] = [await instance(), await instance(), await instance()];
    const { lock: lost } = await a.tokenStore.getOrLock(KEY, 100);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const { lock: taken } = await b.tokenStore.getOrLock(KEY, 10_000);
    expect(taken).toEqual(expect.any(String));

    await a.tokenStore.unlock(KEY, lost!);
    expect(await c.tokenStore.lock(KEY, 10_000)).toBeUndefined(); // b's lock still held

    await b.tokenStore.set(KEY, token('aubt_b'), taken);
    await a.tokenStore.set(KEY, token('aubt_a'), lost);
    // Both tokens are valid; the last one kept is everyone's.
    expect((await c.tokenStore.get(KEY))?.token).toBe('aubt_a');
    expect(await c.tokenStore.lock(KEY, 10_000)).toEqual(expect.any(String));
  });

  it('compare-and-invalidate: a 401 for a replaced token keeps its replacement', async () => {
    const [a, b] = [await instance(), await instance()];
    await a.tokenStore.set(KEY, token('aubt_old'));
    await a.tokenStore.set(KEY, token('aubt_new'));

    expect(await b.tokenStore.invalidate(KEY, 'aubt_old')).toBe(false);
    expect((await b.tokenStore.get(KEY))?.token).toBe('aubt_new');
    expect(await b.tokenStore.invalidate(KEY, 'aubt_new')).toBe(true);
    expect(await b.tokenStore.invalidate(KEY, 'aubt_new')).toBe(false);
    expect(await a.tokenStore.get(KEY)).toBeUndefined();
  });

  it('max_uses counted once per use across instances, and not for a token no longer held', async () => {
    const [a, b] = [await instance(), await instance()];
    await a.tokenStore.set(KEY, token('aubt_counted', 60_000, 5));

    const uses = await Promise.all([
      a.tokenStore.use(KEY, 'aubt_counted'),
      b.tokenStore.use(KEY, 'aubt_counted'),
      a.tokenStore.use(KEY, 'aubt_counted'),
    ]);
    expect(uses.sort()).toEqual([1, 2, 3]);
    expect(await b.tokenStore.use(KEY, 'aubt_other')).toBeUndefined();
    await b.tokenStore.set(KEY, token('aubt_next', 60_000, 5));
    expect(await a.tokenStore.use(KEY, 'aubt_next')).toBe(1);
  });

  it('keeps the token only until its expiry, and never the app secret', async () => {
    const a = await instance();
    await a.tokenStore.set(KEY, token('aubt_short', 1_000));
    const [key] = await admin.keys('*:value');

    expect(key).toMatch(/^\{aura:token:[0-9a-f]{32}\}:value$/);
    expect(await admin.pttl(key!)).toBeGreaterThan(0);
    expect(await admin.pttl(key!)).toBeLessThanOrEqual(1_000);
    expect(Object.keys(await admin.hgetall(key!)).sort()).toEqual(['data', 'token', 'uses']);
  });

  it('an unreadable entry costs an exchange, not a crash', async () => {
    const a = await instance();
    await a.tokenStore.set(KEY, token('aubt_fine'));
    const [key] = await admin.keys('*:value');
    await admin.hset(key!, 'data', '{not json');

    expect(await a.tokenStore.get(KEY)).toBeUndefined();
    expect((await a.tokenStore.getOrLock(KEY, 1_000)).lock).toEqual(expect.any(String));
  });
});

describe('nonce store', () => {
  it('SET NX per app id, kept for the TTL the verifier asks', async () => {
    const [a, b] = [await instance(), await instance()];

    expect(await a.nonceStore.claim('app_1', 'n-1', 601_000)).toBe(true);
    expect(await b.nonceStore.claim('app_1', 'n-1', 601_000)).toBe(false);
    expect(await b.nonceStore.claim('app_2', 'n-1', 601_000)).toBe(true);
    expect(await admin.pttl('aura:nonce:app_1:n-1')).toBeGreaterThan(600_000);
  });

  it('a nonce with braces or colons stays one key, outside any hash tag', async () => {
    const a = await instance();
    expect(await a.nonceStore.claim('app', '{x}:y', 1_000)).toBe(true);
    expect(await admin.keys('aura:nonce:*')).toEqual(['aura:nonce:app:%7Bx%7D%3Ay']);
  });

  it('refuses a TTL that would forget the nonce at once', async () => {
    const a = await instance();
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(a.nonceStore.claim('app', 'n', ttl)).rejects.toSatisfy((e: unknown) =>
        isAuraError(e, 'configuration'),
      );
    }
  });
});

describe('re-auth budget', () => {
  it('one sliding window for every instance', async () => {
    const [a, b] = [await instance(), await instance()];
    const takes = [];
    for (const store of [a, b, a, b, a]) {
      takes.push(await store.reauthStore.take('budget', 4, 600_000));
    }

    expect(takes.slice(0, 4)).toEqual(Array(4).fill({ ok: true }));
    expect(takes[4]).toMatchObject({ ok: false });
    const { retryAfterMs } = takes[4] as { retryAfterMs: number };
    expect(retryAfterMs).toBeGreaterThan(590_000);
    expect(retryAfterMs).toBeLessThanOrEqual(600_000);
  });

  it('frees a place when the oldest leaves the window', async () => {
    const a = await instance();
    expect(await a.reauthStore.take('short', 1, 200)).toEqual({ ok: true });
    expect(await a.reauthStore.take('short', 1, 200)).toMatchObject({ ok: false });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await a.reauthStore.take('short', 1, 200)).toEqual({ ok: true });
  });
});

describe('rate-limit store', () => {
  it('counts one fixed window per key for every instance', async () => {
    const [a, b] = [await instance(), await instance()];
    const hits = [];
    for (const store of [a, b, a])
      hits.push(await store.rateLimitStore.increment('user:1', 60_000));

    expect(hits.map((hit) => hit.count)).toEqual([1, 2, 3]);
    for (const hit of hits) {
      expect(hit.resetMs).toBeGreaterThan(58_000);
      expect(hit.resetMs).toBeLessThanOrEqual(60_000);
    }
    expect((await b.rateLimitStore.increment('user:2', 60_000)).count).toBe(1);
    // The user key is not stored in clear.
    expect((await admin.keys('aura:rate:*')).join()).not.toContain('user');
  });

  it('rounds a window up to whole seconds, and refuses a window that is not one', async () => {
    const a = await instance();
    const hit = await a.rateLimitStore.increment('k', 1_500);
    expect(hit.resetMs).toBeGreaterThan(1_500);
    expect(hit.resetMs).toBeLessThanOrEqual(2_000);
    for (const windowMs of [0, -1, 1.5, Number.NaN]) {
      await expect(a.rateLimitStore.increment('k', windowMs)).rejects.toSatisfy((e: unknown) =>
        isAuraError(e, 'invalid_argument'),
      );
    }
  });
});

describe('when Redis cannot be reached', () => {
  it('tokens fail open, nonces fail closed fast, the budget tightens, the limit counts in memory', async () => {
    const lost = await startRedisServer();
    const aura = createAuraRedis(lost.url, { timeoutMs: 200, onError: () => {} });
    opened.push(aura);
    await aura.ready();
    await aura.tokenStore.set(KEY, token('aubt_kept'));
    await lost.close();

    expect((await aura.tokenStore.get(KEY))?.token).toBe('aubt_kept');
    expect(await aura.tokenStore.invalidate(KEY, 'aubt_kept')).toBe(true);
    const lock = await aura.tokenStore.getOrLock(KEY, 1_000);
    expect(lock.lock).toEqual(expect.any(String)); // this process exchanges on its own
    await aura.tokenStore.set(KEY, token('aubt_own'), lock.lock);
    expect((await aura.tokenStore.get(KEY))?.token).toBe('aubt_own');
    // A 401 still counts in the process, and a waiter is not kept waiting on a dead Redis.
    expect(await aura.tokenStore.reject!(KEY, 'aubt_own')).toBe(true);
    const waitStarted = Date.now();
    await aura.tokenStore.waitFor!(KEY, 10_000);
    expect(Date.now() - waitStarted).toBeLessThan(1_000);
    const relock = await aura.tokenStore.getOrLock(KEY, 1_000);
    expect(relock).toEqual({ lock: expect.any(String), reauth: true });
    await aura.tokenStore.set(KEY, token('aubt_own'), relock.lock);

    const started = Date.now();
    await expect(aura.nonceStore.claim('app', 'n', 1_000)).rejects.toSatisfy((e: unknown) =>
      isAuraError(e, 'store_unavailable'),
    );
    expect(Date.now() - started).toBeLessThan(1_000);

    expect(await aura.reauthStore.take('budget', 4, 60_000)).toEqual({ ok: true });
    expect(await aura.reauthStore.take('budget', 4, 60_000)).toMatchObject({ ok: false });

    const counts = [];
    for (let i = 0; i < 3; i++)
      counts.push((await aura.rateLimitStore.increment('u', 60_000)).count);
    expect(counts).toEqual([1, 2, 3]);
  });
});

describe('createAuraRedis', () => {
  it('refuses a prefix that would break the hash tags, and what is not a client or URL', () => {
    for (const prefix of ['', '{aura}', 'a b', 'x'.repeat(65)]) {
      expect(() => createAuraRedis('redis://127.0.0.1:1', { prefix })).toThrow(/prefix/);
    }
    expect(() => createAuraRedis('http://127.0.0.1:1')).toThrow(/redis:\/\//);
    expect(() => createAuraRedis({} as never)).toThrow(/ioredis client/);
    expect(() => createAuraRedis('redis://127.0.0.1:1', { timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  it('puts every key under its prefix, and leaves a client it was given open', async () => {
    const client = new Redis(server.url);
    const aura = createAuraRedis(client, { prefix: 'tenant-7' });
    await aura.ready();
    await aura.tokenStore.set(KEY, token('aubt_t'));
    await aura.nonceStore.claim('app', 'n', 1_000);
    await aura.reauthStore.take('budget', 4, 1_000);
    await aura.rateLimitStore.increment('u', 1_000);
    await aura.close();

    const keys = await admin.keys('*');
    expect(keys.length).toBe(4);
    for (const key of keys) expect(key.replace(/^\{/, '')).toMatch(/^tenant-7:/);
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });
});
