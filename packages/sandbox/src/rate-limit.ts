import type { RateLimitGroup, RateLimits } from './types';

export const DEFAULT_RATE_LIMITS: RateLimits = { exchange: 10, config: 30, lifecycle: 60 };

const WINDOW_MS = 60_000;

export type RateDecision =
  | { ok: true; limit: number; remaining: number }
  | { ok: false; limit: number; retryAfter: number };

/**
 * Laravel's throttle: a fixed one-minute window per key that starts with its first hit, so
 * `Retry-After` is the time left until that window ends.
 */
export class RateLimiter {
  readonly #windows = new Map<string, { resetAt: number; count: number }>();

  constructor(
    readonly limits: RateLimits,
    private readonly now: () => number,
  ) {}

  hit(group: RateLimitGroup, appId: string): RateDecision {
    const limit = this.limits[group];
    const now = this.now();
    const key = `${group}\u0000${appId}`;
    let window = this.#windows.get(key);
    if (window === undefined || window.resetAt <= now) {
      window = { resetAt: now + WINDOW_MS, count: 0 };
      this.#windows.set(key, window);
    }
    if (window.count >= limit) {
      return {
        ok: false,
        limit,
        retryAfter: Math.max(1, Math.ceil((window.resetAt - now) / 1000)),
      };
    }
    window.count++;
    return { ok: true, limit, remaining: limit - window.count };
  }

  clear(): void {
    this.#windows.clear();
  }
}

/** Parses `name=perMinute` (CLI `--rate-limit`). */
export function parseRateLimit(text: string): [RateLimitGroup, number] {
  const match = /^(exchange|config|lifecycle)=(\d+)$/.exec(text.trim());
  if (match === null || Number(match[2]) < 1) {
    throw new Error(
      `--rate-limit expects name=perMinute with name exchange, config or lifecycle and a positive integer (got "${text}")`,
    );
  }
  return [match[1] as RateLimitGroup, Number(match[2])];
}
