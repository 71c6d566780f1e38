/**
 * Error mapping for every adapter: an `AuraError` becomes an HTTP answer a browser or a partner's
 * service can act on, and nothing else does (the adapter hands anything else to the app's own
 * error handler). What leaves here is a status, a stable code and a short message: never a stack,
 * a secret, a token or the expected signature.
 */
import { readError, redact } from '../client/response';
import { type AuraApiError, isAuraError } from '../errors';
import { errorResponse, type NeutralResponse } from './http';

const MAX_MESSAGE = 300;

/** Aura's own message for a refused call, redacted and bounded; never the request we sent. */
function auraMessage(error: AuraApiError, fallback: string): string {
  let message = readError(error.body).message ?? fallback;
  message = redact(message, []);
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
}

function retryAfterHeader(seconds: number | undefined): Record<string, string> {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return {};
  return { 'retry-after': String(Math.max(1, Math.ceil(seconds))) };
}

/**
 * An `AuraError` (or `AuraApiError`) as an answer; `undefined` for anything else.
 *
 * - Aura's 4xx (other than 401/403) keep their status and Aura's own code (`apiCode`), e.g.
 *   409 `invalid_state`, 404 `upload_not_found`; a 429 keeps its `Retry-After`.
 * - Aura's 401/403 mean that *this server's* credentials or token were refused, not the browser
 *   user's session: 502 `aura_auth_failed`, so that no client takes it for its own sign-out.
 * - Aura's 5xx: 503 (with `Retry-After` when Aura sent one) for 503, else 502 `aura_error`.
 * - Network failure → 502 `aura_unreachable`; timeout → 504 `aura_timeout`; a closed re-auth
 *   budget → 503 `aura_reauth_budget_exhausted` with `Retry-After`; a malformed answer → 502
 *   `aura_invalid_response`; configuration → 500 `aura_not_configured`; invalid arguments → 400.
 */
export function auraErrorResponse(error: unknown): NeutralResponse | undefined {
  if (!isAuraError(error)) return undefined;
  switch (error.code) {
    case 'api':
    case 'auth': {
      const apiError = error as AuraApiError;
      const status = apiError.status;
      if (status === 401 || status === 403) {
        return errorResponse(
          502,
          'aura_auth_failed',
          `Aura refused this server's credentials (${status}); check its Aura configuration`,
        );
      }
      if (status >= 400 && status < 500) {
        return errorResponse(
          status,
          apiError.apiCode ?? (status === 429 ? 'rate_limited' : 'aura_request_refused'),
          auraMessage(apiError, `Aura refused the request (${status})`),
          status === 429 ? retryAfterHeader(apiError.retryAfter ?? 1) : {},
        );
      }
      if (status === 503) {
        return errorResponse(
          503,
          'aura_unavailable',
          'Aura is temporarily unavailable; try again later',
          retryAfterHeader(apiError.retryAfter),
        );
      }
      return errorResponse(502, 'aura_error', `Aura answered ${status}; try again later`);
    }
    case 'network':
      return errorResponse(502, 'aura_unreachable', 'Aura could not be reached; try again later');
    case 'timeout':
      return errorResponse(504, 'aura_timeout', 'Aura did not answer in time; try again later');
    case 'reauth_budget_exhausted':
      return errorResponse(
        503,
        'aura_reauth_budget_exhausted',
        'Aura keeps refusing fresh tokens; try again later',
        retryAfterHeader(error.retryAfter ?? 60),
      );
    case 'invalid_response':
      return errorResponse(502, 'aura_invalid_response', 'Aura answered something unexpected');
    case 'configuration':
      return errorResponse(
        500,
        'aura_not_configured',
        'the Aura integration of this server is not configured correctly',
      );
    case 'invalid_argument':
      return errorResponse(400, 'invalid_request', redact(error.message, []));
    default:
      return errorResponse(500, 'aura_error', 'the Aura integration failed unexpectedly');
  }
}

export { errorResponse };
