/**
 * The same stores on an ioredis `Cluster`, against a redis-server in cluster mode that owns every
 * slot: Redis Cluster refuses any command or script whose keys span two slots (CROSSSLOT), so
 * this fails if a script's keys do not share a hash tag.
 */
import type { StoredToken } from '@aura/core';
import { type AuraRedis, createAuraRedis } from '@aura/redis';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from './support/redis-server';

let server: RedisServer;
let a: AuraRedis;
let b: AuraRedis;
const clusters: Cluster[] = [];

function cluster(): Cluster {
  const client = new Cluster([{ host: '127.0.0.1', port: server.port }], {
    redisOptions: { commandTimeout: 1_000 },
  });
  clusters.push(client);
  return client;
}

beforeAll(async () => {
  server = await startRedisServer({ cluster: true });
  a = createAuraRedis(cluster());
  b = createAuraRedis(cluster());
  await Promise.all([a.ready(10_000), b.ready(10_000)]);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  for (const client of clusters) client.disconnect();
  await server?.close();
});

const KEY = 'http://127.0.0.1/api aura_pk_sandbox upload:init 3600';
const stored = (name: string): StoredToken => ({
  token: name,
  issuedAt: Date.now(),
  expiresAt: Date.now() + 60_000,
  scopes: [],
  maxUses: 10,
});

it('token scripts (lock, keep, wait, wake, use, reject and its mark, compare-and-invalidate) run on a cluster', async () => {
  const { lock } = await a.tokenStore.getOrLock(KEY, 10_000);
  expect(lock).toEqual(expect.any(String));
  expect(await b.tokenStore.getOrLock(KEY, 10_000)).toEqual({});
  const waiting = b.tokenStore.waitFor!(KEY, 10_000);
  setTimeout(() => void a.tokenStore.set(KEY, stored('aubt_cluster'), lock), 50);
  await waiting;

  expect((await b.tokenStore.getOrLock(KEY, 10_000)).token?.token).toBe('aubt_cluster');
  expect(await b.tokenStore.use(KEY, 'aubt_cluster')).toBe(1);
  expect(await a.tokenStore.reject!(KEY, 'aubt_cluster')).toBe(true);
  const again = await b.tokenStore.getOrLock(KEY, 10_000);
  expect(again.reauth).toBe(true);
  await b.tokenStore.set(KEY, stored('aubt_again'), again.lock);
  expect(await a.tokenStore.invalidate(KEY, 'aubt_again')).toBe(true);
  const third = await b.tokenStore.getOrLock(KEY, 10_000);
  expect(third.reauth).toBeUndefined();
  await b.tokenStore.unlock(KEY, third.lock!);
  expect(await a.tokenStore.lock(KEY, 10_000)).toEqual(expect.any(String));
});

it('nonces, the re-auth budget and the rate limit run on a cluster', async () => {
  expect(await a.nonceStore.claim('app', 'n-1', 1_000)).toBe(true);
  expect(await b.nonceStore.claim('app', 'n-1', 1_000)).toBe(false);
  expect(await a.reauthStore.take('budget', 1, 60_000)).toEqual({ ok: true });
  expect(await b.reauthStore.take('budget', 1, 60_000)).toMatchObject({ ok: false });
  expect((await a.rateLimitStore.increment('u', 60_000)).count).toBe(1);
  expect((await b.rateLimitStore.increment('u', 60_000)).count).toBe(2);
});
