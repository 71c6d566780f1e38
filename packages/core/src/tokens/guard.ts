import type { MaybePromise } from '../crypto/types';
import { AuraError } from '../errors';

/** What a guarded call answers when the store threw, missed its deadline, or is paused. */
export const FAILED: unique symbol = Symbol('store failed');

/** After a call missed its deadline, the store is not asked for this long (no 1 s wait per call). */
const PAUSE_AFTER_TIMEOUT_MS = 1_000;

export interface StoreGuardOptions {
  /** Named in errors: `token store` or `re-auth store`. */
  store: string;
  timeoutMs: number;
  onError?: ((error: AuraError) => void) | undefined;
}

/**
 * Puts a deadline on every call to a caller-supplied store (a third-party or Redis one can throw
 * or hang) and turns its failure into `FAILED`, reported once to `onError` as a
 * `store_unavailable` error; what `FAILED` means (fail open for tokens, a stricter budget for
 * re-auth) is the caller's decision. A synchronous answer costs no timer.
 */
export class StoreGuard {
  readonly #o: StoreGuardOptions;
  #pausedUntil = 0;

  constructor(options: StoreGuardOptions) {
    this.#o = options;
  }

  /** `call()`'s answer, or `FAILED`; `timeoutMs` overrides the deadline (a wait's own bound). */
  call<T>(
    operation: string,
    call: () => MaybePromise<T>,
    timeoutMs = this.#o.timeoutMs,
  ): MaybePromise<T | typeof FAILED> {
    // The clock is read only while paused: a clock read is not free, and this is on every call.
    if (this.#pausedUntil !== 0) {
      if (Date.now() < this.#pausedUntil) return FAILED;
      this.#pausedUntil = 0;
    }
    let answer: MaybePromise<T>;
    try {
      answer = call();
    } catch (error) {
      return this.#failed(operation, `failed: ${describe(error)}`, error);
    }
    if (!isThenable(answer)) return answer;
    return new Promise<T | typeof FAILED>((resolve) => {
      const timer = setTimeout(() => {
        this.#pausedUntil = Date.now() + PAUSE_AFTER_TIMEOUT_MS;
        resolve(this.#failed(operation, `gave no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      unref(timer);
      // A late answer or failure after the deadline is dropped (the promise already resolved).
      Promise.resolve(answer).then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          resolve(this.#failed(operation, `failed: ${describe(error)}`, error));
        },
      );
    });
  }

  /** Reports a failure that is not a thrown error (an answer of the wrong shape). */
  invalid(operation: string, what: string): typeof FAILED {
    return this.#failed(operation, what);
  }

  #failed(operation: string, what: string, cause?: unknown): typeof FAILED {
    const error = new AuraError('store_unavailable', `${this.#o.store} ${operation} ${what}`, {
      ...(cause === undefined ? {} : { cause }),
      details: { store: this.#o.store, operation },
    });
    try {
      this.#o.onError?.(error);
    } catch {
      // A hook that throws must not turn a store outage into a failed call.
    }
    return FAILED;
  }
}

/** A promise (or any thenable) rather than an answer given at once. */
export function isThenable<T>(value: MaybePromise<T>): value is Promise<T> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<T>).then === 'function'
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Node's timers keep the process alive unless unref'd; browsers' and workers' are numbers. */
export function unref(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}
