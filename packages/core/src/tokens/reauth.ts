import type { MaybePromise } from '../crypto/types';

export type ReauthDecision = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * The re-authentication budget: how many re-exchanges caused by a 401 may happen per window.
 * `take` must be atomic for everything that shares the store: it records one re-exchange and
 * answers `{ ok: true }` when fewer than `max` happened in the last `windowMs`, and otherwise
 * records nothing and answers how long until the oldest one leaves the window. A Redis store
 * does this with a sorted set and one script (sliding window log).
 */
export interface ReauthStore {
  take(key: string, max: number, windowMs: number): MaybePromise<ReauthDecision>;
}

export interface MemoryReauthStoreOptions {
  /** Clock in milliseconds; defaults to `Date.now`. */
  now?: () => number;
}

/** In-process `ReauthStore`, the default: a sliding window log per key. */
export class MemoryReauthStore implements ReauthStore {
  readonly #log = new Map<string, number[]>();
  readonly #now: () => number;

  constructor(options: MemoryReauthStoreOptions = {}) {
    this.#now = options.now ?? (() => Date.now());
  }

  take(key: string, max: number, windowMs: number): ReauthDecision {
    const now = this.#now();
    const times = (this.#log.get(key) ?? []).filter((at) => at > now - windowMs);
    if (times.length >= max) {
      this.#log.set(key, times);
      const oldest = times[0] ?? now;
      return { ok: false, retryAfterMs: Math.max(1, oldest + windowMs - now) };
    }
    times.push(now);
    this.#log.set(key, times);
    return { ok: true };
  }
}
