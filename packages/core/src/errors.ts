/**
 * Every error the SDK throws is an `AuraError` with a stable string `code`.
 *
 * Check errors with `isAuraError(e, code?)`, not only `instanceof`: a dual ESM/CJS install can
 * load two copies of this module, and each copy has its own class. The brand below is a
 * registered symbol, so it is the same in both copies.
 */
const BRAND: unique symbol = Symbol.for('@aura/core.AuraError') as never;

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
  // Configuration and the client (used by later modules; listed here so the set is one place).
  | 'configuration'
  | 'network'
  | 'timeout'
  | 'api'
  | 'auth'
  | 'reauth_budget_exhausted'
  | 'invalid_response';

export interface AuraErrorOptions {
  cause?: unknown;
  status?: number;
  details?: Record<string, unknown>;
}

export class AuraError extends Error {
  readonly code: AuraErrorCode;
  readonly status: number | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly [BRAND] = true;

  constructor(code: AuraErrorCode, message: string, options: AuraErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuraError';
    this.code = code;
    this.status = options.status;
    this.details = options.details;
  }

  toJSON(): { name: string; code: AuraErrorCode; message: string; status?: number } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.status === undefined ? {} : { status: this.status }),
    };
  }
}

/** True when `error` is an `AuraError` (from any copy of this package), optionally of `code`. */
export function isAuraError<C extends AuraErrorCode>(
  error: unknown,
  code?: C,
): error is AuraError & { code: C } {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as { [BRAND]?: unknown })[BRAND] !== true) return false;
  return code === undefined || (error as AuraError).code === code;
}
