/**
 * Per-user rate limiting for the routes that mint tokens. The store is an interface so that a
 * fleet can share counters (`@aura/redis`); the in-memory default is bounded and forgets windows
 * that have ended.
 */
import { AuraError } from '../errors';

export interface RateLimitHit {
  /** Hits counted for the key in the current window, this one included. */
  count: number;
  /** Milliseconds until the current window ends. */
  resetMs: number;
}

export interface RateLimitStore {
  /**
   * Atomically counts one hit for `key` in a fixed window of `windowMs`; answers the count in
   * the current window and the ms until it resets.
   */
  increment(key: string, windowMs: number): Promise<RateLimitHit> | RateLimitHit;
}

export interface MemoryRateLimitStoreOptions {
  /** Keys held at most (default 10 000); past it, ended windows go first, then the oldest. */
  maxKeys?: number;
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
}

interface Window {
  count: number;
  endsAt: number;
}

/** Fixed windows in a `Map`, one process's worth; bounded and expiring. */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #windows = new Map<string, Window>();
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 10_000;
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
      throw new AuraError('configuration', 'maxKeys must be a positive whole number');
    }
    this.#maxKeys = maxKeys;
    this.#now = options.now ?? Date.now;
  }

  /** Keys currently held (ended windows included until they are swept). */
  get size(): number {
    return this.#windows.size;
  }

  increment(key: string, windowMs: number): RateLimitHit {
    if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
      throw new AuraError('invalid_argument', 'windowMs must be a positive whole number');
    }
    const now = this.#now();
    const current = this.#windows.get(key);
    if (current !== undefined && current.endsAt > now) {
      current.count += 1;
      return { count: current.count, resetMs: current.endsAt - now };
    }
    // A new window: re-inserted so that the Map's order stays "oldest window first".
    if (current !== undefined) this.#windows.delete(key);
    else if (this.#windows.size >= this.#maxKeys) this.#makeRoom(now);
    const window = { count: 1, endsAt: now + windowMs };
    this.#windows.set(key, window);
    return { count: 1, resetMs: windowMs };
  }

  /** Forgets every counter. */
  clear(): void {
    this.#windows.clear();
  }

  #makeRoom(now: number): void {
    for (const [key, window] of this.#windows) {
      if (window.endsAt <= now) this.#windows.delete(key);
    }
    // Still full of live windows: drop the oldest, whose window ends soonest.
    while (this.#windows.size >= this.#maxKeys) {
      const oldest = this.#windows.keys().next().value;
      if (oldest === undefined) break;
      this.#windows.delete(oldest);
    }
  }
}
