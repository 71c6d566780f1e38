import { randomUUID } from 'node:crypto';
import { MemoryTokenStore, type StoredToken, type TokenOrLock, type TokenStore } from '@aura/core';
import type { RedisGuard } from './connection';
import type { KeyLayout } from './keys';
import type { TokenEvents } from './token-events';

/**
 * The fleet's token cache, one Redis hash per cache key
 * plus a lock, behind the core's `TokenStore`: the core keeps single-flight in each process,
 * this store makes it hold across processes.
 *
 * - One exchange per lifetime for the fleet: `getOrLock` is one script (token, else `SET NX PX`
 *   of a random owner id), answered at once; the others `waitFor` the holder's publish on the
 *   token channel, bounded by the lock's remaining time, then ask again. A lock that expired
 *   while its holder was still exchanging only lets a second exchange happen; both tokens are
 *   valid.
 * - One re-auth budget for the fleet: `reject` (a 401) leaves a mark beside the token until the
 *   next one is kept, and whoever takes the lock meanwhile is told `reauth: true`, so the
 *   exchange is charged whichever instance makes it.
 * - Fails open: every token read is mirrored in an in-process `MemoryTokenStore`; when Redis is
 *   down or late, each method answers from that mirror instead (served from memory, and an
 *   exchange of this process's own when it holds none). While Redis answers, Redis is the truth.
 * - Only the token and its metadata are written; the app secret never reaches this store.
 */
export class RedisTokenStore implements TokenStore {
  readonly #guard: RedisGuard;
  readonly #keys: KeyLayout;
  readonly #events: TokenEvents;
  readonly #local = new MemoryTokenStore();

  constructor(guard: RedisGuard, keys: KeyLayout, events: TokenEvents) {
    this.#guard = guard;
    this.#keys = keys;
    this.#events = events;
  }

  async get(key: string): Promise<StoredToken | undefined> {
    try {
      const data = await this.#guard.run('token read', (redis) =>
        redis.hget(this.#keys.tokenValue(key), 'data'),
      );
      return this.#mirror(key, parseToken(data));
    } catch {
      return this.#local.get(key);
    }
  }

  async getOrLock(key: string, lockMs: number): Promise<TokenOrLock> {
    try {
      return await this.#getOrLock(key, lockMs);
    } catch {
      return this.#local.getOrLock(key, lockMs);
    }
  }

  /**
   * Another instance is exchanging: resolves on its token (or its lock being freed), when its
   * lock runs out, or after `ms`. The waiter registers before Redis is asked how long the lock
   * has left, so a token kept in between is not missed; at once when there is nothing to wait
   * for, or when Redis cannot tell (the next `getOrLock` then answers from the process).
   */
  async waitFor(key: string, ms: number): Promise<void> {
    const waiter = this.#events.listen(this.#keys.tokenId(key));
    try {
      const lockPttl = await this.#guard.run('token wait', (redis) =>
        redis.auraTokenWaitTime(this.#keys.tokenValue(key), this.#keys.tokenLock(key)),
      );
      await waiter.wait(Math.min(Number(lockPttl), ms));
    } catch {
      // Redis is down or late: nothing to wait for.
    } finally {
      waiter.cancel();
    }
  }

  async lock(key: string, lockMs: number): Promise<string | undefined> {
    const owner = randomUUID();
    try {
      const answer = await this.#guard.run('token lock', (redis) =>
        redis.set(this.#keys.tokenLock(key), owner, 'PX', wholeMs(lockMs), 'NX'),
      );
      return answer === 'OK' ? owner : undefined;
    } catch {
      return this.#local.lock(key, lockMs);
    }
  }

  async set(key: string, token: StoredToken, lock?: string): Promise<void> {
    // The process keeps it whatever happens to Redis: it was paid for with an exchange.
    this.#local.set(key, token, lock);
    const ttlMs = Math.ceil(token.expiresAt - Date.now());
    try {
      await this.#guard.run('token write', (redis) =>
        redis.auraTokenSet(
          this.#keys.tokenValue(key),
          this.#keys.tokenLock(key),
          this.#keys.tokenMark(key),
          token.token,
          JSON.stringify(token),
          String(Math.max(0, ttlMs)),
          lock ?? '',
          this.#keys.tokenChannel,
          this.#keys.tokenId(key),
        ),
      );
    } catch {
      // Not shared this time: the other instances exchange for themselves (fail open); the
      // lock, if it was a Redis one, runs out by itself.
    }
  }

  async unlock(key: string, lock: string): Promise<void> {
    this.#local.unlock(key, lock);
    try {
      await this.#guard.run('token unlock', (redis) =>
        redis.auraTokenUnlock(
          this.#keys.tokenLock(key),
          lock,
          this.#keys.tokenChannel,
          this.#keys.tokenId(key),
        ),
      );
    } catch {
      // The lock runs out by itself.
    }
  }

  async invalidate(key: string, token: string): Promise<boolean> {
    const heldHere = this.#local.invalidate(key, token);
    try {
      const gone = await this.#guard.run('token invalidate', (redis) =>
        redis.auraTokenInvalidate(this.#keys.tokenValue(key), token),
      );
      return gone === 1;
    } catch {
      return heldHere;
    }
  }

  async reject(key: string, token: string): Promise<boolean> {
    const heldHere = this.#local.reject(key, token);
    try {
      const gone = await this.#guard.run('token reject', (redis) =>
        redis.auraTokenReject(
          this.#keys.tokenValue(key),
          this.#keys.tokenMark(key),
          token,
          String(REJECTED_MARK_MS),
        ),
      );
      return gone === 1;
    } catch {
      return heldHere;
    }
  }

  async use(key: string, token: string): Promise<number | undefined> {
    try {
      const uses = await this.#guard.run('token use', (redis) =>
        redis.auraTokenUse(this.#keys.tokenValue(key), token),
      );
      return uses === null ? undefined : Number(uses);
    } catch {
      return this.#local.use(key, token);
    }
  }

  /** The get-or-lock script; a token read is mirrored in the process. */
  async #getOrLock(key: string, lockMs: number): Promise<TokenOrLock> {
    const owner = randomUUID();
    const ask = () =>
      this.#guard.run('token get-or-lock', (redis) =>
        redis.auraTokenGetOrLock(
          this.#keys.tokenValue(key),
          this.#keys.tokenLock(key),
          this.#keys.tokenMark(key),
          owner,
          String(wholeMs(lockMs)),
        ),
      );
    let [kind, value, rejected] = await ask();
    if (kind === 1 && parseToken(String(value)) === undefined) {
      // Unreadable, or expired by this host's clock while Redis still keeps it (clocks differ):
      // it can serve no one here, so it goes, and this caller may take the lock.
      await this.#guard.run('token delete', (redis) => redis.del(this.#keys.tokenValue(key)));
      [kind, value, rejected] = await ask();
    }
    if (kind === 1) {
      const token = this.#mirror(key, parseToken(String(value)));
      return token === undefined ? {} : { token };
    }
    if (kind === 2) return Number(rejected) === 1 ? { lock: owner, reauth: true } : { lock: owner };
    return {};
  }

  /** Keeps the process's copy in step with Redis, so that an outage serves what Redis held. */
  #mirror(key: string, token: StoredToken | undefined): StoredToken | undefined {
    const here = this.#local.get(key);
    if (token === undefined) {
      if (here !== undefined) this.#local.invalidate(key, here.token);
    } else if (here?.token !== token.token) {
      this.#local.set(key, token);
    }
    return token;
  }
}

/**
 * How long a 401's mark outlives its token at most. It is cleared when the next token is kept;
 * the bound only keeps a key from living forever when no instance ever exchanges again (an
 * exchange after that is simply not charged).
 */
const REJECTED_MARK_MS = 24 * 3600_000;

/** Redis's PX takes whole milliseconds, at least 1. */
function wholeMs(ms: number): number {
  return Number.isFinite(ms) ? Math.max(1, Math.ceil(ms)) : 1;
}

/**
 * A stored token, or `undefined` for anything else (absent, malformed, expired). What another
 * instance wrote is checked like any input: a bad entry must cost an exchange, not a crash.
 */
export function parseToken(data: string | null | undefined): StoredToken | undefined {
  if (typeof data !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { token, expiresAt, issuedAt, scopes, maxUses } = value as Record<string, unknown>;
  if (
    typeof token !== 'string' ||
    token.length === 0 ||
    typeof expiresAt !== 'number' ||
    !Number.isFinite(expiresAt) ||
    typeof issuedAt !== 'number' ||
    !Number.isFinite(issuedAt) ||
    !Array.isArray(scopes) ||
    !scopes.every((scope) => typeof scope === 'string') ||
    (maxUses !== undefined && (typeof maxUses !== 'number' || !Number.isSafeInteger(maxUses)))
  ) {
    return undefined;
  }
  if (expiresAt <= Date.now()) return undefined;
  return {
    token,
    expiresAt,
    issuedAt,
    scopes: scopes as string[],
    ...(maxUses === undefined ? {} : { maxUses }),
  };
}
