import { AuraError } from '../errors';
import { parseBody, parseRetryAfter, readError, redact } from './response';

export interface RetryOptions {
  /** Attempts in all, the first included (default 3). */
  attempts?: number;
  /** Backoff base: the n-th retry waits a random time in [0, base × 2^(n-1)] (default 250 ms). */
  baseDelayMs?: number;
  /** Most a backoff waits (default 5 s). */
  maxDelayMs?: number;
  /**
   * Longest `Retry-After` honoured (default 30 s). A longer one is not waited for: the call fails
   * at once with the 429/503 error and its `retryAfter`, so the caller decides.
   */
  maxRetryAfterMs?: number;
}

export interface Outgoing {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface SendContext {
  method: string;
  /** The endpoint path, for messages. */
  path: string;
  /** Signed with AURA-HMAC-SHA256 (so a 401 for the timestamp may fix the clock once). */
  signed: boolean;
  signal?: AbortSignal | undefined;
}

export interface TransportOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  retry: Required<RetryOptions>;
  /** Values never to show in a message. */
  secrets: () => readonly string[];
}

// Failures that happen before a single byte of the request left: always safe to retry.
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
// Failures after sending: the server may have acted, so only idempotent methods retry them.
const MAYBE_SENT = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, errors, cause } = current as {
      code?: unknown;
      errors?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string') return code;
    if (Array.isArray(errors) && errors.length > 0) current = errors[0];
    else current = cause;
  }
  return undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function discard(response: Response): void {
  response.body?.cancel().catch(() => {});
}

/**
 * `fetch` with a timeout per attempt, retries with backoff and full jitter for 429 and 503
 * (honouring `Retry-After`), retries of connection failures only where the request cannot have
 * been processed, and a one-shot clock correction for signed calls. `build` is called for every
 * attempt, so each retry of a signed call is signed afresh (new nonce, new timestamp).
 */
export class Transport {
  readonly #o: TransportOptions;
  readonly #timeouts = new WeakMap<Response, AbortSignal>();
  /** Server clock minus ours, learnt from a `Date` header when a signed call was refused for it. */
  clockOffsetMs = 0;

  constructor(options: TransportOptions) {
    this.#o = options;
  }

  /** Unix seconds on the server's clock, as far as we know it: the signing timestamp. */
  timestamp(): number {
    return Math.floor((Date.now() + this.clockOffsetMs) / 1000);
  }

  async send(build: () => Promise<Outgoing>, context: SendContext): Promise<Response> {
    const { attempts } = this.#o.retry;
    let skewFixed = false;
    for (let attempt = 1; ; attempt++) {
      const outgoing = await build();
      let response: Response;
      try {
        response = await this.#fetchOnce(outgoing, context);
      } catch (error) {
        const code = errorCode(error);
        const retryable =
          code !== undefined &&
          (NOT_SENT.has(code) || (MAYBE_SENT.has(code) && IDEMPOTENT.has(context.method)));
        if (retryable && attempt < attempts && !(error instanceof AuraError)) {
          await sleep(this.#backoff(attempt), context.signal);
          continue;
        }
        throw this.#failure(error, context, code);
      }

      if (context.signed && response.status === 401 && !skewFixed) {
        if (await this.#fixClock(response)) {
          skewFixed = true;
          attempt--; // the correction is not one of the retries
          discard(response);
          continue;
        }
      }

      if ((response.status === 429 || response.status === 503) && attempt < attempts) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
        if (retryAfter !== undefined && retryAfter * 1000 > this.#o.retry.maxRetryAfterMs) {
          return response;
        }
        discard(response);
        await sleep(
          retryAfter === undefined ? this.#backoff(attempt) : retryAfter * 1000,
          context.signal,
        );
        continue;
      }
      return response;
    }
  }

  /** The body as text, under the same timeout as the request that produced it. */
  async text(response: Response, context: SendContext): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw this.#failure(error, context, errorCode(error), this.#timeouts.get(response));
    }
  }

  #backoff(attempt: number): number {
    const { baseDelayMs, maxDelayMs } = this.#o.retry;
    return Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  }

  async #fetchOnce(outgoing: Outgoing, context: SendContext): Promise<Response> {
    const timeout = AbortSignal.timeout(this.#o.timeoutMs);
    const signal =
      context.signal === undefined ? timeout : AbortSignal.any([context.signal, timeout]);
    const headers = { ...outgoing.headers };
    // fetch refuses to set Host (a forbidden header) and sends the URL's own host instead, which
    // is the value that was signed; a different Host is left for a custom fetch that honours it.
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() !== 'host') continue;
      if (headers[name]!.toLowerCase() === new URL(outgoing.url).host.toLowerCase()) {
        delete headers[name];
      }
    }
    const init: RequestInit = { method: outgoing.method, headers, signal, redirect: 'manual' };
    if (outgoing.body !== undefined) init.body = outgoing.body as NonNullable<RequestInit['body']>;
    try {
      const response = await this.#o.fetch(outgoing.url, init);
      this.#timeouts.set(response, timeout);
      return response;
    } catch (error) {
      if (timeout.aborted && !context.signal?.aborted) throw this.#timeoutError(context);
      throw error;
    }
  }

  #timeoutError(context: SendContext): AuraError {
    return new AuraError(
      'timeout',
      `${context.method} ${context.path} got no complete answer within ${this.#o.timeoutMs} ms`,
    );
  }

  #failure(
    error: unknown,
    context: SendContext,
    code: string | undefined,
    timeout?: AbortSignal,
  ): unknown {
    if (error instanceof AuraError) return error;
    if (context.signal?.aborted) return error; // the caller's own abort, as fetch reports it
    if (timeout?.aborted) return this.#timeoutError(context);
    const reason = code ?? (error instanceof Error ? error.message : 'unknown error');
    return new AuraError(
      'network',
      redact(`${context.method} ${context.path} failed: ${reason}`, this.#o.secrets()),
      { cause: error },
    );
  }

  /** True when the 401 says our timestamp is off and the `Date` header lets us correct it. */
  async #fixClock(response: Response): Promise<boolean> {
    const date = response.headers.get('date');
    if (date === null) return false;
    const serverNow = Date.parse(date);
    if (Number.isNaN(serverNow)) return false;
    let text: string;
    try {
      text = await response.clone().text();
    } catch {
      return false;
    }
    const parsed = parseBody(text);
    if (!parsed.json || readError(parsed.value).apiCode !== 'timestamp_out_of_window') return false;
    // The Date header has whole seconds: assume the middle of that second.
    const offset = serverNow + 500 - Date.now();
    if (Math.abs(offset - this.clockOffsetMs) < 1000) return false;
    this.clockOffsetMs = offset;
    return true;
  }
}
