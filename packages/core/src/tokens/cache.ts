import type { MaybePromise } from '../crypto/types';
import { AuraError } from '../errors';
import { FAILED, isThenable, StoreGuard } from './guard';
import { MemoryReauthStore, type ReauthDecision, type ReauthStore } from './reauth';
import {
  MemoryTokenStore,
  memoryTokenAt,
  NOT_HERE,
  type StoredToken,
  type TokenStore,
} from './store';

/** Refresh ahead inside the last min(5 min, 25 % of the lifetime). */
const REFRESH_WINDOW_MAX_MS = 5 * 60_000;
const REFRESH_WINDOW_SHARE = 0.25;
/** A token is treated as expired this long before its expiry, so it does not die in flight. */
const EXPIRY_MARGIN_MAX_MS = 5_000;
const EXPIRY_MARGIN_SHARE = 0.05;
/** After a failed background refresh, the next one waits at least this long. */
const REFRESH_RETRY_MS = 10_000;
/** How often a caller waiting on another process's exchange looks for its token (no `waitFor`). */
const LOCK_POLL_MS = 50;
/**
 * Rounds of "take a use, else wait for a new token" before giving up. Only `max_uses` loops:
 * N concurrent callers on tokens of M uses need about N / M rounds; the bound only stops a
 * store that never keeps a token from looping forever.
 */
const MAX_ROUNDS = 100;
/** Default deadline of each token-store and re-auth-store call. */
export const DEFAULT_STORE_TIMEOUT_MS = 1_000;
/**
 * Re-exchanges after a 401 per budget window while the re-auth store fails: a process cannot
 * know what the rest of the fleet spent, so it allows itself at most this (never "unlimited").
 */
export const REAUTH_FALLBACK_MAX = 1;

export interface TokenCacheOptions {
  store: TokenStore;
  reauthStore: ReauthStore;
  /** The cache key: (baseUrl, appId, scopes, ttl). */
  key: string;
  /** The re-auth budget's key: (baseUrl, appId). */
  budgetKey: string;
  budget: { max: number; windowMs: number };
  /** Performs one exchange. */
  exchange: () => Promise<StoredToken>;
  /** How long a refresh lock is held at most. */
  lockMs: number;
  /** Deadline of each store call (default 1000 ms). */
  storeTimeoutMs?: number;
  /** Called with the error of a failed background refresh (the cached token stays in use). */
  onRefreshError?: (error: unknown) => void;
  /** Told (never thrown at) when a store throws or misses its deadline: a `store_unavailable` error. */
  onStoreError?: ((error: AuraError) => void) | undefined;
}

export function refreshAt(token: StoredToken): number {
  const lifetime = Math.max(0, token.expiresAt - token.issuedAt);
  return token.expiresAt - Math.min(REFRESH_WINDOW_MAX_MS, lifetime * REFRESH_WINDOW_SHARE);
}

export function usableUntil(token: StoredToken): number {
  const lifetime = Math.max(0, token.expiresAt - token.issuedAt);
  return token.expiresAt - Math.min(EXPIRY_MARGIN_MAX_MS, lifetime * EXPIRY_MARGIN_SHARE);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One cached token per key, single-flight, refreshed ahead, `max_uses` counted, invalidated by
 * 401 only while it is still the rejected token, re-exchanges after a 401 bounded by the budget.
 *
 * The stores are the caller's (a Redis one, a third party's): every call to them has a deadline,
 * and a store that throws or misses it is treated as empty. Tokens then fail open: the cache
 * keeps its own copy of every token it saw, serves it, and exchanges for itself (still single
 * flight in the process) when it has none. The re-auth budget fails to a stricter one kept in the
 * process, `REAUTH_FALLBACK_MAX` per window.
 */
export class TokenCache {
  readonly #o: TokenCacheOptions;
  readonly #tokens: StoreGuard;
  readonly #budgets: StoreGuard;
  /** The cache's own copy: what it serves while the token store fails. */
  readonly #local = new MemoryTokenStore({ maxKeys: 1 });
  readonly #localBudget = new MemoryReauthStore();
  /**
   * The store's answer last copied into `#local`, while that copy stands: the same answer again
   * (the in-memory store hands back the object it keeps) needs no second look at `#local`.
   */
  #mirrored: StoredToken | undefined;
  #inflight: Promise<void> | undefined;
  /** A 401 invalidated the token: the next exchange is a re-authentication and spends budget. */
  #reauthPending = false;
  #refreshRetryAt = 0;

  constructor(options: TokenCacheOptions) {
    this.#o = options;
    const timeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
    this.#tokens = new StoreGuard({
      store: 'token store',
      timeoutMs,
      onError: options.onStoreError,
    });
    this.#budgets = new StoreGuard({
      store: 're-auth store',
      timeoutMs,
      onError: options.onStoreError,
    });
  }

  /**
   * A token to send now; counts one use of it. Answers synchronously (no promise, no timer)
   * when the store does and the token it holds is usable: the warm path of every request behind
   * the token guard, with the in-memory store. Anything that has to wait (an asynchronous store,
   * an exchange, a token to replace) answers a promise.
   */
  get(): MaybePromise<StoredToken> {
    // The in-memory store read at the cache's own clock reading: one clock read, no guard (it
    // neither throws nor waits). Any other store through `#get`, its deadline and its fallback.
    const now = Date.now();
    const here = memoryTokenAt(this.#o.store, this.#o.key, now);
    if (here !== NOT_HERE) {
      const first = this.#round(this.#held(here), now);
      if (!isThenable(first) && first !== undefined) return first;
      return this.#getAfter(first);
    }
    const held = this.#get();
    const first = isThenable(held) ? held.then((token) => this.#round(token)) : this.#round(held);
    if (!isThenable(first) && first !== undefined) return first;
    return this.#getAfter(first);
  }

  /** `get()` once its first round gave no token at once: the rounds that wait. */
  async #getAfter(first: MaybePromise<StoredToken | undefined>): Promise<StoredToken> {
    const token = await first;
    if (token !== undefined) return token;
    for (let round = 1; round < MAX_ROUNDS; round++) {
      const next = await this.#round(await this.#get());
      if (next !== undefined) return next;
    }
    throw new AuraError(
      'auth',
      `no token with uses left after ${MAX_ROUNDS} refreshes (does the token store keep tokens?)`,
    );
  }

  /**
   * One round of `get()` on what the store holds: the token to serve (its use counted), or
   * `undefined` once what was held has been dropped or replaced, to look again. Synchronous
   * while the token is usable and the store counts its uses synchronously.
   */
  #round(held: StoredToken | undefined, now = Date.now()): MaybePromise<StoredToken | undefined> {
    if (held === undefined || now >= usableUntil(held)) return this.#replace(held);
    const { maxUses } = held;
    if (maxUses === undefined) return this.#serve(held, now);
    const uses = this.#use(held.token);
    return isThenable(uses)
      ? uses.then((counted) => this.#counted(held, maxUses, counted, now))
      : this.#counted(held, maxUses, uses, now);
  }

  /** A `max_uses` token after its use was counted: served, or dropped when it has none left. */
  #counted(
    held: StoredToken,
    maxUses: number,
    uses: number | undefined,
    now: number,
  ): MaybePromise<StoredToken | undefined> {
    if (uses === undefined) return undefined; // replaced meanwhile
    if (uses > maxUses) return this.#dropped(held.token);
    // The last use: fetch its replacement now, so the next caller need not wait.
    if (uses === maxUses) this.#refreshInBackground(held);
    return this.#serve(held, now);
  }

  #serve(held: StoredToken, now: number): StoredToken {
    if (now >= refreshAt(held)) this.#refreshInBackground(held);
    return held;
  }

  async #dropped(token: string): Promise<undefined> {
    await this.#invalidate(token);
    return undefined;
  }

  /** No usable token: drops the expired one, if any, and waits for the (single-flight) exchange. */
  async #replace(held: StoredToken | undefined): Promise<undefined> {
    if (held !== undefined) await this.#invalidate(held.token);
    await this.#refresh(false);
    return undefined;
  }

  /**
   * The server answered 401 to `token`. Forgets it only if it is still the cached one, so that
   * a burst of 401s for one token, or a late 401 for an older one, costs at most one re-exchange.
   * A store with `reject` also marks the key, so that whichever process exchanges next is
   * charged the re-auth budget for it.
   */
  async reject(token: string): Promise<void> {
    const { store, key } = this.#o;
    const forgotten = await this.#tokens.call('reject', () =>
      store.reject !== undefined ? store.reject(key, token) : store.invalidate(key, token),
    );
    const heldHere = this.#local.invalidate(key, token);
    this.#mirrored = undefined;
    if (forgotten === FAILED ? heldHere : forgotten) this.#reauthPending = true;
  }

  #refreshInBackground(held: StoredToken): void {
    if (this.#inflight !== undefined || Date.now() < this.#refreshRetryAt) return;
    this.#refresh(true, held).catch((error: unknown) => this.#o.onRefreshError?.(error));
  }

  /** Single-flight: every caller during one exchange shares it, and its failure. */
  #refresh(ahead: boolean, held?: StoredToken): Promise<void> {
    if (this.#inflight !== undefined) return this.#inflight;
    const run = this.#run(ahead, held).catch((error: unknown) => {
      this.#refreshRetryAt = Date.now() + REFRESH_RETRY_MS;
      throw error;
    });
    const flight = run.finally(() => {
      if (this.#inflight === flight) this.#inflight = undefined;
    });
    this.#inflight = flight;
    return flight;
  }

  async #run(ahead: boolean, held: StoredToken | undefined): Promise<void> {
    const { lockMs } = this.#o;
    let lock: Lock | undefined;
    /** The store says a 401 (maybe another process's) caused this exchange. */
    let rejected = false;
    if (ahead) {
      lock = await this.#lock();
      if (lock === undefined) return; // another process is refreshing it
      const current = await this.#get();
      // Replaced by another process, or gone (a 401, an expiry): not a refresh ahead any more;
      // the callers who need a token take the lock themselves, told whether it is a re-auth.
      if (current?.token !== held?.token) {
        await this.#unlock(lock);
        return;
      }
    } else {
      const deadline = Date.now() + lockMs;
      /** The last wait was a wake-up, and the store still answers neither token nor lock. */
      let wokeForNothing = false;
      for (;;) {
        const answer = await this.#getOrLock();
        if (answer.token !== undefined) {
          if (Date.now() < usableUntil(answer.token)) {
            this.#reauthPending = false; // someone else's exchange replaced the rejected token
            return;
          }
          await this.#invalidate(answer.token.token);
          continue;
        }
        if (answer.lock !== undefined) {
          lock = answer.lock;
          rejected = answer.reauth === true;
          break;
        }
        // Another process is exchanging; if it takes too long, exchange anyway (one extra).
        const left = deadline - Date.now();
        if (left <= 0) break;
        // After a wake-up that brought nothing (the lock changed hands, or a store whose
        // `waitFor` answers at once), one plain poll: a store cannot make this loop spin.
        if (wokeForNothing) await sleep(Math.min(LOCK_POLL_MS, left));
        else await this.#waitFor(left);
        wokeForNothing = !wokeForNothing;
      }
    }
    try {
      if (this.#reauthPending || rejected) await this.#chargeBudget();
      const token = await this.#o.exchange();
      await this.#set(token, lock);
      this.#reauthPending = false;
    } catch (error) {
      if (lock !== undefined) await this.#unlock(lock);
      throw error;
    }
  }

  /** Counts one re-exchange after a 401, or throws `reauth_budget_exhausted`. */
  async #chargeBudget(): Promise<void> {
    const { budget, budgetKey, reauthStore } = this.#o;
    const { max, windowMs } = budget;
    let decision = await this.#budgets.call('take', () =>
      reauthStore.take(budgetKey, max, windowMs),
    );
    if (decision !== FAILED && !isDecision(decision)) {
      decision = this.#budgets.invalid('take', 'answered something that is not a decision');
    }
    if (decision === FAILED) {
      decision = this.#localBudget.take(budgetKey, Math.min(max, REAUTH_FALLBACK_MAX), windowMs);
    }
    if (decision.ok) return;
    const seconds = Math.ceil(decision.retryAfterMs / 1000);
    throw new AuraError(
      'reauth_budget_exhausted',
      `re-authentication budget exhausted (${max} re-exchanges after 401 per ${Math.round(windowMs / 1000)} s); next allowed in ${seconds} s`,
      {
        retryAfter: seconds,
        details: { max, windowMs, retryAfterMs: decision.retryAfterMs },
      },
    );
  }

  // Each store call below: the store's answer within the deadline, else the cache's own copy.

  // `#get` and `#use` answer synchronously when the store does: `get()`'s warm path.

  #get(): MaybePromise<StoredToken | undefined> {
    const { store, key } = this.#o;
    const held = this.#tokens.call('get', () => store.get(key));
    return isThenable(held) ? held.then((answer) => this.#held(answer)) : this.#held(held);
  }

  #held(answer: StoredToken | undefined | typeof FAILED): StoredToken | undefined {
    if (answer === FAILED) return this.#local.get(this.#o.key);
    this.#mirror(answer);
    return answer;
  }

  async #getOrLock(): Promise<{ token?: StoredToken; lock?: Lock; reauth?: boolean }> {
    const { store, key, lockMs } = this.#o;
    const answer = await this.#tokens.call('getOrLock', () => store.getOrLock(key, lockMs));
    if (answer === FAILED) {
      const here = this.#local.getOrLock(key, lockMs);
      if (here.lock !== undefined) return { lock: { id: here.lock, local: true } };
      return here.token === undefined ? {} : { token: here.token };
    }
    if (answer.token !== undefined) {
      this.#mirror(answer.token);
      return { token: answer.token };
    }
    if (answer.lock === undefined) return {};
    return { lock: { id: answer.lock, local: false }, reauth: answer.reauth === true };
  }

  async #lock(): Promise<Lock | undefined> {
    const { store, key, lockMs } = this.#o;
    const id = await this.#tokens.call('lock', () => store.lock(key, lockMs));
    if (id !== FAILED) return id === undefined ? undefined : { id, local: false };
    const here = this.#local.lock(key, lockMs);
    return here === undefined ? undefined : { id: here, local: true };
  }

  async #set(token: StoredToken, lock: Lock | undefined): Promise<void> {
    const { store, key } = this.#o;
    // Kept here whatever the store does: it was paid for with an exchange.
    this.#local.set(key, token, lock?.local ? lock.id : undefined);
    this.#mirrored = token;
    const remoteLock = lock?.local === false ? lock.id : undefined;
    await this.#tokens.call('set', () => store.set(key, token, remoteLock));
  }

  async #unlock(lock: Lock): Promise<void> {
    const { store, key } = this.#o;
    if (lock.local) this.#local.unlock(key, lock.id);
    // A store that fails to unlock: its lock runs out by itself.
    else await this.#tokens.call('unlock', () => store.unlock(key, lock.id));
  }

  async #invalidate(token: string): Promise<boolean> {
    const { store, key } = this.#o;
    const heldHere = this.#local.invalidate(key, token);
    this.#mirrored = undefined;
    const gone = await this.#tokens.call('invalidate', () => store.invalidate(key, token));
    return gone === FAILED ? heldHere : gone;
  }

  #use(token: string): MaybePromise<number | undefined> {
    const { store, key } = this.#o;
    const uses = this.#tokens.call('use', () => store.use(key, token));
    const counted = (answer: number | undefined | typeof FAILED) =>
      answer === FAILED ? this.#local.use(key, token) : answer;
    return isThenable(uses) ? uses.then(counted) : counted(uses);
  }

  /** Until another process's exchange ends (a store that can tell), else one short poll. */
  async #waitFor(left: number): Promise<void> {
    const { store, key } = this.#o;
    if (store.waitFor !== undefined) {
      const ms = Math.min(left, this.#o.lockMs);
      const waited = await this.#tokens.call(
        'waitFor',
        () => store.waitFor?.(key, ms),
        ms + (this.#o.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS),
      );
      if (waited !== FAILED) return;
    }
    await sleep(Math.min(LOCK_POLL_MS, left));
  }

  /** Keeps the cache's copy in step with the store, so that an outage serves what it held. */
  #mirror(token: StoredToken | undefined): void {
    if (token !== undefined && token === this.#mirrored) return; // the warm path: copied already
    const { key } = this.#o;
    const here = this.#local.get(key);
    if (token === undefined) {
      if (here !== undefined) this.#local.invalidate(key, here.token);
    } else if (here?.token !== token.token) {
      this.#local.set(key, token);
    }
    this.#mirrored = token;
  }
}

/** A refresh lock: the store's, or the cache's own while the store fails. */
interface Lock {
  id: string;
  local: boolean;
}

function isDecision(value: unknown): value is ReauthDecision {
  if (typeof value !== 'object' || value === null) return false;
  const { ok, retryAfterMs } = value as { ok?: unknown; retryAfterMs?: unknown };
  return (
    ok === true ||
    (ok === false && typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs))
  );
}
