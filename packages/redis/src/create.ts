import {
  AuraError,
  type NonceStore,
  type RateLimitStore,
  type ReauthStore,
  type TokenStore,
} from '@aura/core';
import { type Cluster, Redis } from 'ioredis';
import { type RedisClient, RedisGuard, withDeadline } from './connection';
import { keyLayout } from './keys';
import { RedisNonceStore } from './nonce-store';
import { RedisRateLimitStore } from './rate-limit-store';
import { RedisReauthStore } from './reauth-store';
import { TokenEvents } from './token-events';
import { RedisTokenStore } from './token-store';

export interface AuraRedisOptions {
  /** Start of every key and of the channel (default `aura`); A-Z a-z 0-9 _ . : -, no braces. */
  prefix?: string;
  /**
   * Deadline of each Redis call, in ms (default 500). Past it: tokens are served from the
   * process, nonce claims fail (the verifier answers 503), the budget and the rate limit count in
   * the process. Keep it below the verifier's `timeoutMs` (2000) so the 503 is this store's, and
   * below the client's `storeTimeoutMs` (1000) so that a late Redis is answered by this package's
   * fallbacks rather than the client's.
   */
  timeoutMs?: number;
  /** Re-exchanges per budget window each process may make while Redis is unreachable (default 1). */
  reauthFallbackMax?: number;
  /**
   * Errors of the connections this package opened (its subscriber, and the client it made from a
   * URL). Default: at most one `console.warn` a minute (ioredis keeps retrying meanwhile).
   */
  onError?: (error: Error) => void;
}

export interface AuraRedis {
  /** `new AuraClient({ …, tokenStore })`: one token per lifetime for the fleet. */
  tokenStore: TokenStore;
  /** `verifyAuraSignature({ nonceStore })` / `verifyRequest(…, { nonceStore })`: one replay history. */
  nonceStore: NonceStore;
  /** `new AuraClient({ …, reauthStore })`: one re-auth budget for the fleet. */
  reauthStore: ReauthStore;
  /** The routes' `rateLimit: { store }`: one per-user limit for the fleet. */
  rateLimitStore: RateLimitStore;
  /** The client in use (yours, or the one made from the URL). */
  redis: RedisClient;
  /**
   * Resolves once Redis answers and token events are being received; rejects after `deadlineMs`
   * (default 5000). Optional: the stores work (and fall back) without it; a start-up check or a
   * readiness probe can await it.
   */
  ready(deadlineMs?: number): Promise<void>;
  /**
   * Closes what this package opened: its subscriber, and the client when it was made from a URL
   * (a client you passed stays open: it is yours). Later calls fail open or closed as in an outage.
   */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 500;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long `close()` waits for a polite QUIT before cutting the connections. */
const CLOSE_DEADLINE_MS = 1_000;
const READY_RETRY_MS = 100;

/**
 * The four stores a fleet shares, on one ioredis client (or a `Cluster`) and one subscriber
 * connection for token events. `redis` is an ioredis client, or a `redis://` / `rediss://` URL
 * for which one is made with the deadline as `commandTimeout` and quick reconnection.
 */
export function createAuraRedis(
  redis: RedisClient | string,
  options: AuraRedisOptions = {},
): AuraRedis {
  const keys = keyLayout(options.prefix);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (
    typeof timeoutMs !== 'number' ||
    !Number.isInteger(timeoutMs) ||
    timeoutMs < 1 ||
    timeoutMs > MAX_TIMER_MS
  ) {
    throw new AuraError(
      'configuration',
      `createAuraRedis: timeoutMs must be whole milliseconds from 1 to ${MAX_TIMER_MS}`,
    );
  }
  const fallbackMax = options.reauthFallbackMax ?? 1;
  if (!Number.isSafeInteger(fallbackMax) || fallbackMax < 0) {
    throw new AuraError(
      'configuration',
      'createAuraRedis: reauthFallbackMax must be a whole number ≥ 0',
    );
  }
  const onError = options.onError ?? warnOncePerOutage();

  const owned = typeof redis === 'string';
  const client = owned ? clientFromUrl(redis, timeoutMs) : checkClient(redis);
  if (owned) client.on('error', onError);
  // The subscriber waits on SUBSCRIBE as long as it takes: a command deadline there would only
  // leave it deaf. It never sends anything else.
  const subscriber: RedisClient = isCluster(client)
    ? client.duplicate()
    : client.duplicate({ commandTimeout: undefined });
  subscriber.on('error', onError);

  const guard = new RedisGuard(client, timeoutMs);
  const events = new TokenEvents(subscriber, keys.tokenChannel);
  let closing: Promise<void> | undefined;

  return {
    tokenStore: new RedisTokenStore(guard, keys, events),
    nonceStore: new RedisNonceStore(guard, keys),
    reauthStore: new RedisReauthStore(guard, keys, fallbackMax),
    rateLimitStore: new RedisRateLimitStore(client, keys, timeoutMs),
    redis: client,
    async ready(deadlineMs = 5_000) {
      const giveUpAt = Date.now() + deadlineMs;
      // A first call can miss its own deadline while the connection is still being made.
      for (;;) {
        const attemptMs = Math.max(1, Math.min(giveUpAt - Date.now(), Math.max(timeoutMs, 1_000)));
        try {
          await withDeadline(
            Promise.all([client.ping(), events.listening()]),
            attemptMs,
            'ready check',
          );
          return;
        } catch (error) {
          if (Date.now() + READY_RETRY_MS >= giveUpAt) throw error;
          await new Promise((resolve) => setTimeout(resolve, READY_RETRY_MS));
        }
      }
    },
    close() {
      closing ??= (async () => {
        guard.close();
        events.close();
        await Promise.all([quit(subscriber), owned ? quit(client) : undefined]);
      })();
      return closing;
    },
  };
}

function clientFromUrl(url: string, timeoutMs: number): Redis {
  if (!/^rediss?:\/\//.test(url)) {
    throw new AuraError(
      'configuration',
      'createAuraRedis: give an ioredis client or a redis:// or rediss:// URL',
    );
  }
  return new Redis(url, {
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 2_000),
    // A call made while the connection is down fails at once (the guard answers it) rather than
    // queueing; the first connection still queues, so calls right after start-up wait for it.
    maxRetriesPerRequest: 1,
    // Back within a second of Redis's return, whatever the outage lasted.
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
}

function checkClient(redis: RedisClient): RedisClient {
  const candidate = redis as Partial<RedisClient> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.defineCommand !== 'function' ||
    typeof candidate.duplicate !== 'function'
  ) {
    throw new AuraError(
      'configuration',
      'createAuraRedis: give an ioredis client (Redis or Cluster) or a redis:// URL',
    );
  }
  return redis;
}

function isCluster(client: RedisClient): client is Cluster {
  return typeof (client as Cluster).nodes === 'function';
}

async function quit(client: RedisClient): Promise<void> {
  if (client.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, CLOSE_DEADLINE_MS);
      }),
    ]);
  } catch {
    // Already closing or closed.
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** At most one warning a minute: an outage makes ioredis report every reconnection attempt. */
function warnOncePerOutage(): (error: Error) => void {
  let lastWarned = 0;
  return (error) => {
    const now = Date.now();
    if (now - lastWarned < 60_000) return;
    lastWarned = now;
    console.warn(
      `@aura/redis: Redis connection error (${error.message}); retrying, stores fall back meanwhile`,
    );
  };
}
