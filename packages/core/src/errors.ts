import { redactText, redactValue } from './redact';

/**
 * Every error the SDK throws is an `AuraError` with a stable string `code`.
 *
 * Check errors with `isAuraError(e, code?)`, not only `instanceof`: a dual ESM/CJS install can
 * load two copies of this module, and each copy has its own class. The brand below is a
 * registered symbol, so it is the same in both copies.
 */
const BRAND: unique symbol = Symbol.for('@aura/core.AuraError') as never;
// How `util.inspect` (and so `console.log`) asks an object for its own form; a registered
// symbol, so no `node:util` import is needed and the web build stays free of Node built-ins.
const INSPECT: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;

/** Stable codes, grouped by what went wrong. */
export type AuraErrorCode =
  // Input the signer cannot sign faithfully.
  | 'invalid_credentials'
  | 'invalid_method'
  | 'invalid_url'
  | 'invalid_path'
  | 'invalid_header'
  | 'invalid_body'
  | 'invalid_timestamp'
  | 'invalid_nonce'
  | 'missing_host'
  // Stores.
  | 'nonce_store_full'
  // A store (token, re-auth, nonce, rate limit) threw or missed its deadline.
  | 'store_unavailable'
  // Configuration and the client (used by later modules; listed here so the set is one place).
  | 'configuration'
  | 'network'
  | 'timeout'
  | 'api'
  | 'auth'
  | 'reauth_budget_exhausted'
  | 'invalid_response'
  // A call's own arguments (an upload id, a ttl, a header the client sets itself).
  | 'invalid_argument';

export interface AuraErrorOptions {
  cause?: unknown;
  status?: number;
  details?: Record<string, unknown>;
  /** Seconds to wait before trying again, when known (a 429's `Retry-After`, a closed budget). */
  retryAfter?: number;
}

/**
 * Nothing secret is kept, however the error is printed: the message, `details` and `cause` are
 * redacted when the error is made (credentials by pattern, URL passwords and query values), and
 * `toJSON` and the `util.inspect` form show only the name, `code`, `status` and message.
 */
export class AuraError extends Error {
  readonly code: AuraErrorCode;
  readonly status: number | undefined;
  readonly details: Record<string, unknown> | undefined;
  /** Seconds to wait before trying again, when known. */
  readonly retryAfter: number | undefined;
  readonly [BRAND] = true;

  constructor(code: AuraErrorCode, message: string, options: AuraErrorOptions = {}) {
    super(
      redactText(String(message)),
      options.cause === undefined
        ? undefined
        : { cause: redactValue(options.cause, [], isAuraError) },
    );
    this.name = 'AuraError';
    this.code = code;
    this.status = options.status;
    this.details =
      options.details === undefined
        ? undefined
        : (redactValue(options.details, [], isAuraError) as Record<string, unknown>);
    this.retryAfter = options.retryAfter;
  }

  toJSON(): { name: string; code: AuraErrorCode; message: string; status?: number } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.status === undefined ? {} : { status: this.status }),
    };
  }

  /** `util.inspect(error)` and `console.log(error)`: the stack (whose first line is the redacted message), `code` and `status`; never `body`, `details` or `cause`. */
  [INSPECT](): string {
    const head = this.stack ?? `${this.name}: ${this.message}`;
    const status = this.status === undefined ? '' : `,\n  status: ${this.status}`;
    return `${head} {\n  code: '${this.code}'${status}\n}`;
  }
}

export interface AuraApiErrorOptions extends AuraErrorOptions {
  status: number;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** Aura's own error code (`{ "error": { "code" } }`), e.g. `timestamp_out_of_window`. */
  apiCode?: string;
  /** Laravel validation errors (`422 { "errors": { "field": ["…"] } }`). */
  errors?: Record<string, string[]>;
  method: string;
  /** The endpoint path under the API root, without the query. */
  path: string;
}

/**
 * A non-2xx answer from Aura: code `auth` for 401 and 403, `api` for every other status. Read
 * its fields after `isAuraError(e, 'api')` or `isAuraError(e, 'auth')`, which narrow to this type.
 */
export class AuraApiError extends AuraError {
  declare readonly status: number;
  readonly body: unknown;
  readonly apiCode: string | undefined;
  readonly errors: Record<string, string[]> | undefined;
  readonly method: string;
  readonly path: string;

  constructor(code: 'api' | 'auth', message: string, options: AuraApiErrorOptions) {
    super(code, message, options);
    this.name = 'AuraApiError';
    this.body = redactValue(options.body, [], isAuraError);
    this.apiCode = options.apiCode;
    this.errors =
      options.errors === undefined
        ? undefined
        : (redactValue(options.errors) as Record<string, string[]>);
    this.method = options.method;
    this.path = redactText(options.path);
  }
}

/** What `isAuraError(e, code)` narrows to: an `AuraApiError` for `api` and `auth`. */
export type AuraErrorFor<C extends AuraErrorCode> = [C] extends ['api' | 'auth']
  ? AuraApiError & { code: C }
  : AuraError & { code: C };

/** True when `error` is an `AuraError` (from any copy of this package), optionally of `code`. */
export function isAuraError<C extends AuraErrorCode>(
  error: unknown,
  code?: C,
): error is AuraErrorFor<C> {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as { [BRAND]?: unknown })[BRAND] !== true) return false;
  return code === undefined || (error as AuraError).code === code;
}
