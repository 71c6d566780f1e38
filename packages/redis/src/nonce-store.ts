import { AuraError, type NonceStore } from '@aura/core';
import type { RedisGuard } from './connection';
import type { KeyLayout } from './keys';

/**
 * The fleet's replay history: one `SET key 1 NX PX ttl` per claim, keyed per app id, so a nonce
 * accepted by one instance is refused by every other for as long as the verifier asks (it asks
 * for 2 × skew + 1 s). Fails closed: when Redis is down or late the claim rejects, and the
 * verifier answers 503 `nonce_store_unavailable`, never a pass, within its deadline.
 */
export class RedisNonceStore implements NonceStore {
  readonly #guard: RedisGuard;
  readonly #keys: KeyLayout;

  constructor(guard: RedisGuard, keys: KeyLayout) {
    this.#guard = guard;
    this.#keys = keys;
  }

  async claim(appId: string, nonce: string, ttlMs: number): Promise<boolean> {
    // A NaN or non-positive TTL would forget the nonce at once, i.e. allow its replay.
    if (typeof ttlMs !== 'number' || !(ttlMs > 0) || !Number.isFinite(ttlMs)) {
      throw new AuraError(
        'configuration',
        `nonce TTL must be a positive number of ms (got ${ttlMs})`,
      );
    }
    if (typeof appId !== 'string' || appId === '' || typeof nonce !== 'string' || nonce === '') {
      throw new AuraError('invalid_argument', 'a nonce claim needs a non-empty app id and nonce');
    }
    const answer = await this.#guard.run('nonce claim', (redis) =>
      redis.set(this.#keys.nonce(appId, nonce), '1', 'PX', Math.ceil(ttlMs), 'NX'),
    );
    return answer === 'OK';
  }
}
