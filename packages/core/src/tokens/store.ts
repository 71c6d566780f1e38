import type { MaybePromise } from '../crypto/types';
import { unref } from './guard';

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
  /**
   * With `lock`: a 401 rejected the last token (`reject`) and no token has been kept since, so
   * the exchange this lock is for is a re-authentication, charged to the re-auth budget whichever
   * process makes it. Stores without `reject` leave it out.
   */
  reauth?: boolean;
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
 *
 * The client gives every call a deadline (`storeTimeoutMs`): a store that throws or does not
 * answer in time is treated as empty (the process exchanges for itself), so a store need not
 * guard itself; `waitFor` alone may take as long as the `ms` it is given.
 *
 * Two methods are optional. `reject` lets a fleet charge the re-auth budget for a 401 seen by
 * one process whichever process then exchanges; without it only the process that saw the 401
 * charges it. `waitFor` lets a caller waiting on another process's exchange be woken when it ends
 * instead of asking again every 50 ms.
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
  /**
   * Optional. `invalidate` for a token the server answered 401 to: in the same atomic step,
   * when it forgets the token, it also marks `key` as rejected. While the mark is there, a lock
   * `getOrLock` hands out comes with `reauth: true`; `set` clears the mark. (Not `invalidate`
   * itself: a token also goes when it expires or runs out of uses, and those exchanges are free.)
   */
  reject?(key: string, token: string): MaybePromise<boolean>;
  /**
   * Optional. Resolves once a token is kept for `key` or its lock is freed (or runs out), at
   * once when there is a token or no lock now, and after `ms` at most; the caller then asks
   * `getOrLock` again. Resolving early is harmless, never resolving is not: the client bounds
   * the wait by `ms` plus its store deadline.
   */
  waitFor?(key: string, ms: number): MaybePromise<void>;
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

/**
 * `store.get(key)` as of `now`, for the token cache's warm path, which has just read the clock
 * itself: one clock read per request instead of two. Answers `NOT_HERE` unless `store` is a
 * `MemoryTokenStore` of this copy of the package on the default clock whose `get` is its own;
 * the cache then asks `get` as for any store. Set by `MemoryTokenStore`'s static block.
 */
export let memoryTokenAt: (
  store: TokenStore,
  key: string,
  now: number,
) => StoredToken | undefined | typeof NOT_HERE = () => NOT_HERE;
export const NOT_HERE: unique symbol = Symbol('not an in-memory store');

/** In-process `TokenStore`, the default. Several clients in one process may share one. */
export class MemoryTokenStore implements TokenStore {
  readonly #entries = new Map<string, Entry>();
  readonly #locks = new Map<string, { id: string; until: number }>();
  /** Keys whose last token a 401 rejected, until a token is kept again. */
  readonly #rejected = new Set<string>();
  /** Callers of `waitFor`, woken when a token is kept or a lock freed. */
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #maxKeys: number;
  readonly #now: () => number;
  /** No `now` option: its clock is `Date.now`, the one the token cache reads. */
  readonly #systemClock: boolean;

  static {
    memoryTokenAt = (store, key, now) =>
      #entries in store && store.#systemClock && store.get === MemoryTokenStore.prototype.get
        ? store.#entry(key, now)?.token
        : NOT_HERE;
  }

  constructor(options: MemoryTokenStoreOptions = {}) {
    this.#maxKeys = options.maxKeys ?? 1000;
    this.#systemClock = options.now === undefined;
    this.#now = options.now ?? (() => Date.now());
  }

  #entry(key: string, now = this.#now()): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.token.expiresAt <= now) {
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
    if (lock === undefined) return {};
    return this.#rejected.has(key) ? { lock, reauth: true } : { lock };
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
    this.#rejected.delete(key);
    if (lock !== undefined) this.unlock(key, lock);
    this.#wake(key);
  }

  unlock(key: string, lock: string): void {
    if (this.#locks.get(key)?.id !== lock) return;
    this.#locks.delete(key);
    this.#wake(key);
  }

  reject(key: string, token: string): boolean {
    if (!this.invalidate(key, token)) return false;
    this.#rejected.delete(key);
    if (this.#rejected.size >= this.#maxKeys) {
      this.#rejected.delete(this.#rejected.values().next().value!);
    }
    this.#rejected.add(key);
    return true;
  }

  waitFor(key: string, ms: number): Promise<void> {
    const now = this.#now();
    const held = this.#locks.get(key);
    if (this.get(key) !== undefined || held === undefined || held.until <= now || !(ms > 0)) {
      return Promise.resolve();
    }
    // Past the lock's expiry nobody will wake this caller: its next `getOrLock` takes the lock.
    const bound = Math.min(ms, held.until - now);
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(key);
      if (waiters === undefined) {
        waiters = new Set();
        this.#waiters.set(key, waiters);
      }
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const current = this.#waiters.get(key);
        current?.delete(wake);
        if (current?.size === 0) this.#waiters.delete(key);
        resolve();
      }, bound);
      unref(timer);
      waiters.add(wake);
    });
  }

  #wake(key: string): void {
    const waiters = this.#waiters.get(key);
    if (waiters === undefined) return;
    this.#waiters.delete(key);
    for (const wake of waiters) wake();
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
