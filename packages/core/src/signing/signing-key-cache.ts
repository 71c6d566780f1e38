import type { CryptoBackend, MaybePromise, SigningKey } from '../crypto/types';

/**
 * Signing keys depend only on (secret, date), so each is derived once a day instead of twice
 * per request. A pending derivation is cached as its promise, so concurrent first calls share
 * it, and replaced by the key once known. Bounded: a verifier facing many app ids keeps at most
 * `MAX_KEYS`, dropping the oldest first.
 */
const MAX_KEYS = 512;
const caches = new WeakMap<CryptoBackend, Map<string, MaybePromise<SigningKey>>>();

// The last key served: a signer signs with one secret, so most calls end here without building
// a cache key string.
let last: { backend: CryptoBackend; appSecret: string; date: string; key: SigningKey } | undefined;

export function signingKeyFor(
  backend: CryptoBackend,
  appSecret: string,
  date: string,
): MaybePromise<SigningKey> {
  if (
    last !== undefined &&
    last.appSecret === appSecret &&
    last.date === date &&
    last.backend === backend
  ) {
    return last.key;
  }
  const key = lookup(backend, appSecret, date);
  if (!(key instanceof Promise)) last = { backend, appSecret, date, key };
  return key;
}

function lookup(backend: CryptoBackend, appSecret: string, date: string): MaybePromise<SigningKey> {
  let cache = caches.get(backend);
  if (cache === undefined) {
    cache = new Map();
    caches.set(backend, cache);
  }
  // The date is always 8 characters, so date + secret cannot collide with another pair.
  const cacheKey = date + appSecret;
  const cached = cache.get(cacheKey);
  if (cached !== undefined) return cached;
  if (cache.size >= MAX_KEYS) cache.delete(cache.keys().next().value!);
  const derived = backend.deriveSigningKey(appSecret, date);
  cache.set(cacheKey, derived);
  if (derived instanceof Promise) {
    const map = cache;
    derived.then(
      (key) => {
        if (map.get(cacheKey) === derived) map.set(cacheKey, key);
      },
      () => map.delete(cacheKey),
    );
  }
  return derived;
}
