import { createHash } from 'node:crypto';
import { AuraError } from '@aura/core';

/**
 * Key layout. Keys that one script touches together share a hash tag (`{…}`), so that every
 * script runs on one slot of a Redis Cluster; key families that are only ever read or written
 * one key at a time (nonces, rate-limit counters) carry no common tag, so that they spread over
 * the cluster's nodes instead of piling onto one. Caller-supplied parts (cache keys, user keys)
 * are hashed: they can hold `{` or `}`, which would move the hash tag, and user ids have no
 * business sitting in Redis in clear.
 *
 *   {aura:token:<h>}:value   hash: token, data (JSON of the StoredToken), uses
 *   {aura:token:<h>}:lock    the refresh lock: a random owner id, SET NX PX
 *   {aura:token:<h>}:rejected "1" from a 401's reject until a token is kept (the next exchange
 *                            is a re-authentication, charged to the budget whoever makes it)
 *   {aura:reauth:<h>}        sorted set: one member per re-exchange, scored by Redis's clock
 *   aura:nonce:<app>:<nonce> "1", SET NX PX
 *   aura:rate:<h>:<seconds>  rate-limiter-flexible's counter
 *   aura:token-events        pub/sub channel: "<h>" each time a token is kept or a lock freed
 */
export interface KeyLayout {
  tokenValue(cacheKey: string): string;
  tokenLock(cacheKey: string): string;
  tokenMark(cacheKey: string): string;
  /** The id waiters match in a token event. */
  tokenId(cacheKey: string): string;
  tokenChannel: string;
  reauth(budgetKey: string): string;
  nonce(appId: string, nonce: string): string;
  ratePrefix: string;
  rateKey(key: string, windowSeconds: number): string;
}

const PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;

/** 128 bits of SHA-256, hex: short keys, no collision in practice, nothing readable. */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}

/** Percent-encoding keeps `{`, `}` and `:` out of the parts a caller chose. */
const part = (value: string) => encodeURIComponent(value);

export function keyLayout(prefix = 'aura'): KeyLayout {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new AuraError(
      'configuration',
      'createAuraRedis: prefix must be 1 to 64 characters from A-Z a-z 0-9 _ . : - (no braces: the package sets the hash tags itself)',
    );
  }
  const tokenTag = (cacheKey: string) => `{${prefix}:token:${digest(cacheKey)}}`;
  return {
    tokenValue: (cacheKey) => `${tokenTag(cacheKey)}:value`,
    tokenLock: (cacheKey) => `${tokenTag(cacheKey)}:lock`,
    tokenMark: (cacheKey) => `${tokenTag(cacheKey)}:rejected`,
    tokenId: (cacheKey) => digest(cacheKey),
    tokenChannel: `${prefix}:token-events`,
    reauth: (budgetKey) => `{${prefix}:reauth:${digest(budgetKey)}}`,
    nonce: (appId, nonce) => `${prefix}:nonce:${part(appId)}:${part(nonce)}`,
    ratePrefix: `${prefix}:rate`,
    rateKey: (key, windowSeconds) => `${digest(key)}:${windowSeconds}`,
  };
}
