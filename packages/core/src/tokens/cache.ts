import { AuraError } from '../errors';
import type { ReauthStore } from './reauth';
import type { StoredToken, TokenStore } from './store';

/** Refresh ahead inside the last min(5 min, 25 % of the lifetime). */
const REFRESH_WINDOW_MAX_MS = 5 * 60_000;
const REFRESH_WINDOW_SHARE = 0.25;
/** A token is treated as expired this long before its expiry, so it does not die in flight. */
const EXPIRY_MARGIN_MAX_MS = 5_000;
const EXPIRY_MARGIN_SHARE = 0.05;
/** After a failed background refresh, the next one waits at least this long. */
const REFRESH_RETRY_MS = 10_000;
/** How often a caller waiting on another process's exchange looks for its token. */
const LOCK_POLL_MS = 50;
/**
 * Rounds of "take a use, else wait for a new token" before giving up. Only `max_uses` loops:
 * N concurrent callers on tokens of M uses need about N / M rounds; the bound only stops a
 * store that never keeps a token from looping forever.
 */
const MAX_ROUNDS = 100;

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
  /** Called with the error of a failed background refresh (the cached token stays in use). */
  onRefreshError?: (error: unknown) => void;
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
 */
export class TokenCache {
  readonly #o: TokenCacheOptions;
  #inflight: Promise<void> | undefined;
  /** A 401 invalidated the token: the next exchange is a re-authentication and spends budget. */
  #reauthPending = false;
  #refreshRetryAt = 0;

  constructor(options: TokenCacheOptions) {
    this.#o = options;
  }

  /** A token to send now; counts one use of it. */
  async get(): Promise<StoredToken> {
    const { store, key } = this.#o;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const held = await store.get(key);
      const now = Date.now();
      if (held !== undefined && now < usableUntil(held)) {
        if (held.maxUses !== undefined) {
          const uses = await store.use(key, held.token);
          if (uses === undefined) continue; // replaced meanwhile
          if (uses > held.maxUses) {
            await store.invalidate(key, held.token);
            continue;
          }
          // The last use: fetch its replacement now, so the next caller need not wait.
          if (uses === held.maxUses) this.#refreshInBackground(held);
        }
        if (now >= refreshAt(held)) this.#refreshInBackground(held);
        return held;
      }
      if (held !== undefined) await store.invalidate(key, held.token);
      await this.#refresh(false);
    }
    throw new AuraError(
      'auth',
      `no token with uses left after ${MAX_ROUNDS} refreshes (does the token store keep tokens?)`,
    );
  }

  /**
   * The server answered 401 to `token`. Forgets it only if it is still the cached one, so that
   * a burst of 401s for one token, or a late 401 for an older one, costs at most one re-exchange.
   */
  async reject(token: string): Promise<void> {
    if (await this.#o.store.invalidate(this.#o.key, token)) this.#reauthPending = true;
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
    const { store, key, lockMs } = this.#o;
    let lock: string | undefined;
    if (ahead) {
      lock = await store.lock(key, lockMs);
      if (lock === undefined) return; // another process is refreshing it
      const current = await store.get(key);
      if (current !== undefined && current.token !== held?.token) {
        await store.unlock(key, lock); // another process already did
        return;
      }
    } else {
      const deadline = Date.now() + lockMs;
      for (;;) {
        const answer = await store.getOrLock(key, lockMs);
        if (answer.token !== undefined) {
          if (Date.now() < usableUntil(answer.token)) {
            this.#reauthPending = false; // someone else's exchange replaced the rejected token
            return;
          }
          await store.invalidate(key, answer.token.token);
          continue;
        }
        if (answer.lock !== undefined) {
          lock = answer.lock;
          break;
        }
        // Another process is exchanging; if it takes too long, exchange anyway (one extra).
        if (Date.now() >= deadline) break;
        await sleep(LOCK_POLL_MS);
      }
    }
    try {
      if (this.#reauthPending) {
        const { max, windowMs } = this.#o.budget;
        const decision = await this.#o.reauthStore.take(this.#o.budgetKey, max, windowMs);
        if (!decision.ok) {
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
      }
      const token = await this.#o.exchange();
      await store.set(key, token, lock);
      this.#reauthPending = false;
    } catch (error) {
      if (lock !== undefined) {
        try {
          await store.unlock(key, lock);
        } catch {
          // The lock expires by itself.
        }
      }
      throw error;
    }
  }
}
