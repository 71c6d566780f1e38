import { AuraApiError, AuraError, isAuraError } from '../errors';
import { redactText, redactValue } from '../redact';
import type { StoredToken } from '../tokens/store';

const TOKEN_SHAPE = /^[\x21-\x7e]+$/;
const MAX_MESSAGE = 500;

/** Removes the given secrets and anything shaped like a credential from `text`. */
export function redact(text: string, secrets: readonly string[]): string {
  return redactText(text, secrets);
}

/** `Retry-After` as seconds from now: delta-seconds or an HTTP date; `undefined` when absent or bad. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

export type ParsedBody = { json: true; value: unknown } | { json: false; text: string };

/** JSON when it parses, otherwise the text; an empty body is JSON `undefined`. */
export function parseBody(text: string): ParsedBody {
  if (text.trim() === '') return { json: true, value: undefined };
  try {
    return { json: true, value: JSON.parse(text) };
  } catch {
    return { json: false, text };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Readable {
  message: string | undefined;
  apiCode: string | undefined;
  errors: Record<string, string[]> | undefined;
}

/** A readable message from whichever of Aura's error shapes arrived. */
export function readError(body: unknown): Readable {
  const out: Readable = { message: undefined, apiCode: undefined, errors: undefined };
  if (!isRecord(body)) {
    if (typeof body === 'string' && body.trim() !== '') out.message = body.trim();
    return out;
  }
  const error = body.error;
  if (isRecord(error)) {
    if (typeof error.message === 'string') out.message = error.message;
    if (typeof error.code === 'string') out.apiCode = error.code;
  } else if (typeof error === 'string') {
    out.message = error;
  }
  if (typeof body.code === 'string' && out.apiCode === undefined) out.apiCode = body.code;
  if (out.message === undefined && typeof body.message === 'string') out.message = body.message;
  if (isRecord(body.errors)) {
    const errors: Record<string, string[]> = {};
    const parts: string[] = [];
    for (const [field, list] of Object.entries(body.errors)) {
      const messages = (Array.isArray(list) ? list : [list]).map(String);
      errors[field] = messages;
      // Laravel repeats the first field message as the top-level one; saying it twice helps nobody.
      const unsaid = messages.filter((m) => out.message === undefined || !out.message.includes(m));
      if (unsaid.length > 0) parts.push(`${field}: ${unsaid.join(' ')}`);
    }
    out.errors = errors;
    if (parts.length > 0) {
      out.message =
        out.message === undefined ? parts.join('; ') : `${out.message} (${parts.join('; ')})`;
    }
  }
  return out;
}

export interface ErrorContext {
  method: string;
  path: string;
  secrets: readonly string[];
  /** Signed with the app credentials: a refusal of the signature then gets a hint. */
  signed?: boolean;
}

// What Aura (and the verifier) answer when the signature does not check out. A wrong secret and
// an unknown app id are refused alike, by design, so the hint names both.
const CREDENTIAL_CODES = new Set([
  'invalid_signature',
  'app_not_allowed',
  'unknown_app',
  'invalid_app',
  'invalid_credentials',
]);

/** What to check next, for the refusals whose cause lies in the caller's configuration. */
function hint(status: number, apiCode: string | undefined, signed: boolean): string {
  if (status !== 401 && status !== 403) return '';
  if (apiCode === 'invalid_api_key') return '; check the API key (apiKey, AURA_API_KEY)';
  if (!signed) return '';
  if (apiCode !== undefined && CREDENTIAL_CODES.has(apiCode)) {
    return "; check the app id and secret (appId/appSecret, AURA_APP_ID/AURA_APP_SECRET: a wrong secret and an unknown app id are refused alike) and this machine's clock";
  }
  if (apiCode === 'timestamp_out_of_window') {
    return "; check this machine's clock (the server's Date header could not correct it)";
  }
  return '';
}

/** The typed error for a non-2xx answer: `auth` for 401/403, `api` otherwise. */
export function apiError(
  status: number,
  statusText: string,
  headers: Headers,
  parsed: ParsedBody,
  context: ErrorContext,
): AuraApiError {
  // A server or proxy may echo the request back: the body keeps nothing the client knows as secret.
  const body = redactValue(
    parsed.json ? parsed.value : parsed.text.slice(0, 4096),
    context.secrets,
    isAuraError,
  );
  const readable = readError(body);
  let detail = readable.message ?? (statusText || 'no message');
  if (detail.length > MAX_MESSAGE) detail = `${detail.slice(0, MAX_MESSAGE)}…`;
  const retryAfter = parseRetryAfter(headers.get('retry-after'));
  const code = status === 401 || status === 403 ? 'auth' : 'api';
  const message = redactText(
    `Aura answered ${status} to ${context.method} ${context.path}: ${detail}${readable.apiCode === undefined ? '' : ` [${readable.apiCode}]`}${retryAfter === undefined ? '' : ` (retry after ${retryAfter} s)`}${hint(status, readable.apiCode, context.signed === true)}`,
    context.secrets,
  );
  return new AuraApiError(code, message, {
    status,
    body,
    method: context.method,
    path: context.path,
    ...(readable.apiCode === undefined ? {} : { apiCode: readable.apiCode }),
    ...(readable.errors === undefined ? {} : { errors: readable.errors }),
    ...(retryAfter === undefined ? {} : { retryAfter }),
  });
}

function invalid(message: string, status?: number): AuraError {
  return new AuraError('invalid_response', `the exchange answer ${message}`, {
    ...(status === undefined ? {} : { status }),
  });
}

/**
 * Either exchange answer shape → one token. `expires_in` (relative, immune to clock
 * differences) wins over `expires_at`, which is read on the server's clock (`clockOffsetMs`).
 */
export function normalizeExchange(
  body: unknown,
  requested: { scopes: string[]; maxUses?: number | undefined },
  now: number,
  clockOffsetMs: number,
): StoredToken {
  if (!isRecord(body)) throw invalid('is not a JSON object');
  const token = body.token ?? body.access_token;
  if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) {
    throw invalid('has no token (expected "token" or "access_token")');
  }
  let expiresAt: number;
  const expiresIn = body.expires_in;
  if (expiresIn !== undefined && expiresIn !== null) {
    const seconds =
      typeof expiresIn === 'string' && /^-?\d+(\.\d+)?$/.test(expiresIn.trim())
        ? Number(expiresIn)
        : expiresIn;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
      throw invalid('has an expires_in that is not a number');
    }
    if (seconds <= 0) throw invalid(`has expires_in ${seconds}: the token is already expired`);
    expiresAt = now + seconds * 1000;
  } else if (typeof body.expires_at === 'string') {
    const at = Date.parse(body.expires_at);
    if (Number.isNaN(at)) throw invalid('has an expires_at that is not a date');
    expiresAt = at - clockOffsetMs;
    if (expiresAt <= now)
      throw invalid('has an expires_at in the past: the token is already expired');
  } else {
    throw invalid('has neither expires_in nor expires_at');
  }
  let scopes = requested.scopes;
  if (body.scopes !== undefined && body.scopes !== null) {
    if (!Array.isArray(body.scopes) || !body.scopes.every((s) => typeof s === 'string')) {
      throw invalid('has scopes that are not a list of strings');
    }
    scopes = body.scopes as string[];
  }
  let maxUses = requested.maxUses;
  if (body.max_uses !== undefined && body.max_uses !== null) {
    if (
      typeof body.max_uses !== 'number' ||
      !Number.isSafeInteger(body.max_uses) ||
      body.max_uses < 1
    ) {
      throw invalid('has a max_uses that is not a positive integer');
    }
    maxUses = body.max_uses;
  }
  return {
    token,
    expiresAt,
    issuedAt: now,
    scopes,
    ...(maxUses === undefined ? {} : { maxUses }),
  };
}
