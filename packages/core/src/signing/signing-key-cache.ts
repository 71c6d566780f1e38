import type { CryptoBackend, SigningKey } from '../crypto/types';

/**
 * Signing keys depend only on (secret, date), so each is derived once a day instead of twice
 * per request. Promises are cached so that concurrent first calls share one derivation. The
 * cache is bounded: a verifier facing many app ids keeps at most `MAX_KEYS` of them.
 */
const MAX_KEYS = 512;
const caches = new WeakMap<CryptoBackend, Map<string, Promise<SigningKey>>>();

export function signingKeyFor(
  backend: CryptoBackend,
  appSecret: string,
  date: string,
): Promise<SigningKey> {
  let cache = caches.get(backend);
  if (cache === undefined) {
    cache = new Map();
    caches.set(backend, cache);
  }
  // The date is always 8 characters, so date + secret cannot collide with another pair.
  const cacheKey = date + appSecret;
  const cached = cache.get(cacheKey);
  if (cached !== undefined) return cached;
  const derived = backend.deriveSigningKey(appSecret, date);
  if (cache.size >= MAX_KEYS) cache.delete(cache.keys().next().value!);
  cache.set(cacheKey, derived);
  derived.catch(() => cache.delete(cacheKey));
  return derived;
}
