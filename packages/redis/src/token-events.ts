import type { RedisClient } from './connection';

/** While the subscriber is not listening, a waiter looks again this soon rather than wait long. */
const BLIND_WAIT_MS = 100;
/** A SUBSCRIBE that failed (not connected yet, or timed out) is tried again this soon. */
const RESUBSCRIBE_MS = 1_000;

/**
 * Wakes the callers waiting for another instance's exchange. One subscriber connection per
 * `createAuraRedis`; the scripts that keep a token or free a lock publish the token's id on one
 * channel, and each waiter here is woken by its own id. A waiter registers before it asks Redis,
 * so an event sent between the answer and the wait is not missed; every wait is bounded (by the
 * lock's remaining time), so a lost event costs latency, never a hang.
 */
export class TokenEvents {
  readonly #waiters = new Map<string, Set<() => void>>();
  #listening = false;
  #closed = false;
  readonly #firstSubscription: Promise<void>;

  constructor(subscriber: RedisClient, channel: string) {
    subscriber.on('message', (from: string, id: string) => {
      if (from === channel) this.#wake(id);
    });
    subscriber.on('close', () => {
      this.#listening = false;
    });
    let subscribed: () => void = () => {};
    this.#firstSubscription = new Promise((resolve) => {
      subscribed = resolve;
    });
    // Subscribes on every (re)connection: asking twice for one channel is harmless, and the
    // flag is true only once Redis has confirmed, so a wait is never long while blind.
    const subscribe = () => {
      if (this.#closed) return;
      subscriber.subscribe(channel).then(
        () => {
          this.#listening = true;
          subscribed();
        },
        () => {
          // Not listening: waits stay short until a later attempt holds.
          setTimeout(subscribe, RESUBSCRIBE_MS).unref();
        },
      );
    };
    subscriber.on('ready', subscribe);
    subscribe();
  }

  /** Resolves once Redis has confirmed the first subscription. */
  listening(): Promise<void> {
    return this.#firstSubscription;
  }

  /**
   * Registers a waiter for `id` now; `wait(ms)` resolves on its event or after `ms` (shorter
   * while the subscriber is not listening), `cancel()` forgets it.
   */
  listen(id: string): { wait(ms: number): Promise<void>; cancel(): void } {
    let woken = false;
    let resolveWait: (() => void) | undefined;
    const wake = () => {
      woken = true;
      resolveWait?.();
    };
    let set = this.#waiters.get(id);
    if (set === undefined) {
      set = new Set();
      this.#waiters.set(id, set);
    }
    set.add(wake);
    const cancel = () => {
      const current = this.#waiters.get(id);
      current?.delete(wake);
      if (current?.size === 0) this.#waiters.delete(id);
    };
    return {
      wait: (ms) => {
        if (woken || this.#closed || !(ms > 0)) return Promise.resolve();
        const bound = this.#listening ? ms : Math.min(ms, BLIND_WAIT_MS);
        return new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, bound);
          resolveWait = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      },
      cancel,
    };
  }

  #wake(id: string): void {
    const set = this.#waiters.get(id);
    if (set === undefined) return;
    this.#waiters.delete(id);
    for (const wake of set) wake();
  }

  /** Wakes every waiter (they then find Redis closed and fall back) and stops listening. */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#waiters.keys()]) this.#wake(id);
    this.#listening = false;
  }
}
