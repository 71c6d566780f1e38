import { AuraError } from '../errors';

/**
 * Where the verifier remembers nonces it has accepted. `claim` answers `true` when the nonce
 * was not held for this app id and now is (for `ttlMs`), `false` when it is a replay. It must
 * be atomic across everything that shares the store (a Redis store uses `SET NX PX`). Throwing
 * or rejecting makes the verifier answer 503: a store that cannot answer never lets a call in.
 */
export interface NonceStore {
  claim(appId: string, nonce: string, ttlMs: number): boolean | Promise<boolean>;
}

export interface MemoryNonceStoreOptions {
  /** Most nonces held for one app id at once; past it, claims fail (503) rather than forget. */
  maxPerApp?: number;
  /** Clock in milliseconds; defaults to `Date.now`. */
  now?: () => number;
}

/**
 * In-process nonce store: expiring, bounded per app id, namespaced per app id. Good for one
 * process; several processes need a shared store (`@aura/redis`).
 */
export class MemoryNonceStore implements NonceStore {
  readonly #maxPerApp: number;
  readonly #now: () => number;
  readonly #apps = new Map<string, Map<string, number>>();

  constructor(options: MemoryNonceStoreOptions = {}) {
    const maxPerApp = options.maxPerApp ?? 100_000;
    if (!Number.isSafeInteger(maxPerApp) || maxPerApp < 1) {
      throw new AuraError('configuration', 'MemoryNonceStore maxPerApp must be a positive integer');
    }
    this.#maxPerApp = maxPerApp;
    this.#now = options.now ?? Date.now;
  }

  claim(appId: string, nonce: string, ttlMs: number): boolean {
    // A NaN or non-positive TTL would forget the nonce at once, i.e. allow its replay.
    if (typeof ttlMs !== 'number' || !(ttlMs > 0) || !Number.isFinite(ttlMs)) {
      throw new AuraError(
        'configuration',
        `nonce TTL must be a positive number of ms (got ${ttlMs})`,
      );
    }
    const now = this.#now();
    let held = this.#apps.get(appId);
    if (held === undefined) {
      held = new Map();
      this.#apps.set(appId, held);
    }
    // Entries are kept in claim order, so with one TTL the expired ones are at the front.
    for (const [key, expiresAt] of held) {
      if (expiresAt > now) break;
      held.delete(key);
    }
    const expiresAt = held.get(nonce);
    if (expiresAt !== undefined && expiresAt > now) return false;
    if (expiresAt === undefined && held.size >= this.#maxPerApp) {
      for (const [key, at] of held) if (at <= now) held.delete(key);
      if (held.size >= this.#maxPerApp) {
        throw new AuraError(
          'nonce_store_full',
          `nonce store holds ${this.#maxPerApp} unexpired nonces for app ${appId}; refusing rather than forgetting one`,
        );
      }
    }
    held.delete(nonce);
    held.set(nonce, now + ttlMs);
    return true;
  }

  /** Unexpired nonces held, across app ids. */
  get size(): number {
    const now = this.#now();
    let count = 0;
    for (const held of this.#apps.values()) for (const at of held.values()) if (at > now) count++;
    return count;
  }

  clear(): void {
    this.#apps.clear();
  }
}
