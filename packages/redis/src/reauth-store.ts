import { randomUUID } from 'node:crypto';
import { MemoryReauthStore, type ReauthDecision, type ReauthStore } from '@aura/core';
import type { RedisGuard } from './connection';
import type { KeyLayout } from './keys';

/**
 * The fleet's re-authentication budget: one sliding window per (baseUrl, app id) for every
 * instance (armorapi's "4 per 10 minutes" is the account's limit, not each process's), kept as a
 * sorted set and taken by one script on Redis's clock. When Redis is down or late, the budget
 * falls back to a stricter one in the process, `fallbackMax` per window (default 1), so that an
 * outage cannot turn N instances into N times the budget.
 */
export class RedisReauthStore implements ReauthStore {
  readonly #guard: RedisGuard;
  readonly #keys: KeyLayout;
  readonly #fallbackMax: number;
  readonly #local = new MemoryReauthStore();

  constructor(guard: RedisGuard, keys: KeyLayout, fallbackMax: number) {
    this.#guard = guard;
    this.#keys = keys;
    this.#fallbackMax = fallbackMax;
  }

  async take(key: string, max: number, windowMs: number): Promise<ReauthDecision> {
    try {
      const [taken, retryAfterMs] = await this.#guard.run('re-auth budget', (redis) =>
        redis.auraReauthTake(
          this.#keys.reauth(key),
          String(max),
          String(Math.ceil(windowMs)),
          randomUUID(),
        ),
      );
      return Number(taken) === 1
        ? { ok: true }
        : { ok: false, retryAfterMs: Math.max(1, Number(retryAfterMs)) };
    } catch {
      return this.#local.take(key, Math.min(max, this.#fallbackMax), windowMs);
    }
  }
}
