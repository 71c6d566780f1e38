import { AuraError } from '../errors';
import { redactText, redactValue } from '../redact';
import { parseBody, parseRetryAfter, readError } from './response';

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
// Failures to open a connection at all, with what to check next.
const CONNECT_HINTS: Record<string, string> = {
  ECONNREFUSED: ': is the Aura API (or aura-sandbox) running there?',
  ENOTFOUND: ': check the host name in baseUrl (AURA_BASE_URL)',
  EAI_AGAIN: ': the host name could not be resolved now; check DNS and the network',
  ENETUNREACH: ': check the network',
  EHOSTUNREACH: ': check the network',
  EADDRNOTAVAIL: '',
  UND_ERR_CONNECT_TIMEOUT: ': the host did not answer; check the address and any firewall',
};
// What fetch says when it refuses before connecting: the spec's blocked ports (1, 25, 6000, …).
const BAD_PORT = 'bad port';

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

/**
 * The innermost message of a failure: fetch reports every network error as `fetch failed` and
 * keeps the reason (`bad port`, `connect ECONNREFUSED 127.0.0.1:4010`) in its `cause`.
 */
function innermostMessage(error: unknown): string | undefined {
  let found: string | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { message, errors, cause } = current as {
      message?: unknown;
      errors?: unknown;
      cause?: unknown;
    };
    if (typeof message === 'string' && message.trim() !== '') found = message.trim();
    if (cause !== undefined) current = cause;
    else if (Array.isArray(errors) && errors.length > 0) current = errors[0];
    else break;
  }
  return found;
}

/** The scheme, host and port the call went to: no path, user info or query to redact. */
function originOf(url: string | undefined): string {
  if (url === undefined || url === '') return 'the Aura API';
  try {
    return new URL(url).origin;
  } catch {
    return 'the Aura API';
  }
}

/** What went wrong on the way to `origin`, naming the underlying cause and what to check. */
export function describeNetworkFailure(
  method: string,
  path: string,
  origin: string,
  error: unknown,
  code: string | undefined,
): string {
  const call = `${method} ${path}`;
  const inner = innermostMessage(error);
  if (code !== undefined && Object.hasOwn(CONNECT_HINTS, code)) {
    return `${call}: could not connect to ${origin} (${code})${CONNECT_HINTS[code]}`;
  }
  if (code === undefined && inner === BAD_PORT) {
    return `${call}: could not connect to ${origin} (bad port: fetch refuses to connect to this port; use another)`;
  }
  if (code !== undefined) {
    const detail = inner === undefined || inner.includes(code) ? '' : `: ${inner}`;
    return `${call}: the connection to ${origin} failed (${code}${detail})`;
  }
  return `${call}: could not reach ${origin} (${inner ?? 'unknown error'})`;
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
        throw this.#failure(error, context, code, outgoing.url);
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
      throw this.#failure(
        error,
        context,
        errorCode(error),
        response.url,
        this.#timeouts.get(response),
      );
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
      if (timeout.aborted && !context.signal?.aborted)
        throw this.#timeoutError(context, outgoing.url);
      throw error;
    }
  }

  #timeoutError(context: SendContext, url: string | undefined): AuraError {
    return new AuraError(
      'timeout',
      `${context.method} ${context.path} got no complete answer from ${originOf(url)} within ${this.#o.timeoutMs} ms`,
    );
  }

  #failure(
    error: unknown,
    context: SendContext,
    code: string | undefined,
    url: string | undefined,
    timeout?: AbortSignal,
  ): unknown {
    if (error instanceof AuraError) return error;
    if (context.signal?.aborted) return error; // the caller's own abort, as fetch reports it
    if (timeout?.aborted) return this.#timeoutError(context, url);
    const secrets = this.#o.secrets();
    const message = describeNetworkFailure(
      context.method,
      context.path,
      originOf(url),
      error,
      code,
    );
    // The cause is kept for diagnosis, as a redacted copy: a custom fetch or a proxy may have
    // put the request (its API key, its token) into it.
    return new AuraError('network', redactText(message, secrets), {
      cause: redactValue(error, secrets),
    });
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
