import type { MaybePromise } from '../crypto/types';

/** A token as the cache keeps it. Times are epoch milliseconds on this machine's clock. */
export interface StoredToken {
  token: string;
  expiresAt: number;
  /** When it was obtained; `expiresAt - issuedAt` is its lifetime. */
  issuedAt: number;
  scopes: string[];
  /** Uses the server allows, when limited. */
  maxUses?: number;
}

/** What `getOrLock` answers: the held token, the lock (this caller must exchange), or neither. */
export interface TokenOrLock {
  token?: StoredToken;
  lock?: string;
}

/**
 * Where the token cache keeps tokens, one per key. Every method must be atomic for everything
 * that shares the store, so that a shared (Redis) store keeps the in-process guarantees across
 * processes: one exchange per lifetime for the fleet, a burst of 401s costing one re-exchange,
 * `max_uses` counted once per use.
 *
 * A Redis store maps these onto `GET`, `SET NX PX` (the lock), a compare-and-delete script
 * (`invalidate`, `unlock`) and `INCR` on a per-token counter (`use`). Losing the lock (it
 * expired while its holder was still exchanging) only ever costs an extra exchange.
 */
export interface TokenStore {
  /** The token held for `key`, if any and not yet expired. */
  get(key: string): MaybePromise<StoredToken | undefined>;
  /**
   * Atomic get-or-lock: the held token when there is one; otherwise takes the refresh lock for
   * `lockMs` when it is free and answers its id; otherwise (someone else is exchanging) `{}`.
   */
  getOrLock(key: string, lockMs: number): MaybePromise<TokenOrLock>;
  /** Takes the refresh lock even while a token is held (refresh ahead); `undefined` when taken. */
  lock(key: string, lockMs: number): MaybePromise<string | undefined>;
  /** Keeps `token` for `key` (until its expiry), with its use count at 0; releases `lock` if given. */
  set(key: string, token: StoredToken, lock?: string): MaybePromise<void>;
  /** Releases `lock` if it is still the one held (after a failed exchange). */
  unlock(key: string, lock: string): MaybePromise<void>;
  /**
   * Compare-and-invalidate: forgets the held token only if it is still `token`, answering
   * whether it did. A 401 for a token already replaced must not throw away its replacement.
   */
  invalidate(key: string, token: string): MaybePromise<boolean>;
  /**
   * Counts one use of `token` and answers the uses so far, this one included, or `undefined`
   * when `token` is no longer the held one.
   */
  use(key: string, token: string): MaybePromise<number | undefined>;
}

export interface MemoryTokenStoreOptions {
  /** Most keys held at once (oldest dropped first); default 1000. */
  maxKeys?: number;
  /** Clock in milliseconds; defaults to `Date.now`. */
  now?: () => number;
}

interface Entry {
  token: StoredToken;
  uses: number;
}

/** In-process `TokenStore`, the default. Several clients in one process may share one. */
export class MemoryTokenStore implements TokenStore {
  readonly #entries = new Map<string, Entry>();
  readonly #locks = new Map<string, { id: string; until: number }>();
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(options: MemoryTokenStoreOptions = {}) {
    this.#maxKeys = options.maxKeys ?? 1000;
    this.#now = options.now ?? (() => Date.now());
  }

  #entry(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.token.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  get(key: string): StoredToken | undefined {
    return this.#entry(key)?.token;
  }

  getOrLock(key: string, lockMs: number): TokenOrLock {
    const token = this.get(key);
    if (token !== undefined) return { token };
    const lock = this.lock(key, lockMs);
    return lock === undefined ? {} : { lock };
  }

  lock(key: string, lockMs: number): string | undefined {
    const now = this.#now();
    const held = this.#locks.get(key);
    if (held !== undefined && held.until > now) return undefined;
    const id = crypto.randomUUID();
    this.#locks.set(key, { id, until: now + lockMs });
    return id;
  }

  set(key: string, token: StoredToken, lock?: string): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxKeys) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, { token, uses: 0 });
    if (lock !== undefined) this.unlock(key, lock);
  }

  unlock(key: string, lock: string): void {
    if (this.#locks.get(key)?.id === lock) this.#locks.delete(key);
  }

  invalidate(key: string, token: string): boolean {
    if (this.#entries.get(key)?.token.token !== token) return false;
    this.#entries.delete(key);
    return true;
  }

  use(key: string, token: string): number | undefined {
    const entry = this.#entry(key);
    if (entry === undefined || entry.token.token !== token) return undefined;
    entry.uses += 1;
    return entry.uses;
  }
}
