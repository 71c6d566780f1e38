import { AuraError, type RateLimitHit, type RateLimitStore } from '@aura/core';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterRes,
  RLWrapperTimeouts,
} from 'rate-limiter-flexible';
import type { RedisClient } from './connection';
import type { KeyLayout } from './keys';

/**
 * The routes' per-user limit for the fleet, counted by rate-limiter-flexible's Redis limiter
 * (fixed windows: `SET NX EX` + `INCRBY` in its own script). Its insurance is its in-memory
 * limiter: while Redis is not ready, fails, or misses the deadline, each process counts on its
 * own, so the routes keep answering (each instance then allows the limit by itself).
 *
 * Windows are whole seconds (Redis `EX`): a `windowMs` that is not a multiple of 1000 is
 * rounded up, so the limit is never looser than asked.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #limiter: RLWrapperTimeouts;
  readonly #keys: KeyLayout;

  constructor(client: RedisClient, keys: KeyLayout, timeoutMs: number) {
    this.#keys = keys;
    // `points` is not used: `penalty` counts without refusing, and the routes compare the count
    // with their own `max`. `duration` is set per call (`customDuration`).
    const insurance = new RateLimiterMemory({
      points: 1,
      duration: 60,
      keyPrefix: keys.ratePrefix,
    });
    const redis = new RateLimiterRedis({
      storeClient: client,
      keyPrefix: keys.ratePrefix,
      points: 1,
      duration: 60,
      rejectIfRedisNotReady: true,
      insuranceLimiter: insurance,
    });
    this.#limiter = new RLWrapperTimeouts({
      limiter: redis,
      timeoutMs,
      insuranceLimiter: insurance,
    });
  }

  async increment(key: string, windowMs: number): Promise<RateLimitHit> {
    if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
      throw new AuraError('invalid_argument', 'windowMs must be a positive whole number');
    }
    const seconds = Math.ceil(windowMs / 1000);
    const res: RateLimiterRes = await this.#limiter.penalty(this.#keys.rateKey(key, seconds), 1, {
      customDuration: seconds,
    });
    const resetMs = res.msBeforeNext > 0 ? res.msBeforeNext : seconds * 1000;
    return { count: res.consumedPoints, resetMs };
  }
}
