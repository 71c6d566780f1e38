/**
 * Redaction of secrets from anything an error carries: its message, `details`, an API answer's
 * `body`, a network failure's `cause`. A server or a proxy may echo the request back (headers
 * included), and a bad `baseUrl` may carry a password or a key in its query, so every text is
 * scrubbed by pattern, and, where the client knows them, of its own secret values too.
 */

const REDACTED = '[redacted]';

// Values shaped like Aura credentials, wherever they stand (after `=`, `%3D`, `_` or a quote).
const TOKEN_CHARS = '[A-Za-z0-9._~+/=-]+';
const CREDENTIAL = new RegExp(`(?:aura_(?:sk|au|ck)|aubt|aulift)_${TOKEN_CHARS}`, 'g');
// The token after an HTTP auth scheme: `Bearer …`, `Basic …`.
const AUTH_SCHEME = new RegExp(`\\b(Bearer|Basic)(\\s+)${TOKEN_CHARS}`, 'gi');
// A JSON Web Token (or anything shaped like one): three base64url parts, the first two JSON.
const JWT = /eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;
// An HMAC-SHA256 signature (or a secret written as hex).
const HEX_256 = /\b[0-9a-fA-F]{64}\b/g;
// `X-Api-Key: value`, `"app_secret":"value"`, `password=value`: the value of a named secret.
const NAMED_SECRET =
  /\b(x-api-key|api[_-]?key|app[_-]?secret|client[_-]?secret|access[_-]?token|refresh[_-]?token|password|cookie)(["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi;
// The user info of a URL: `https://user:password@host`. Runs are bounded so that a long text
// cannot make the search quadratic.
const USER_INFO = /\b([A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/)[^\s"'<>/?#@]{0,1024}@/g;
// The value of a query parameter: `?key=value&…`.
const QUERY_VALUE = /([?&][^\s"'<>=&#?]*=)[^\s"'<>&#]*/g;

// Keys whose values are secret whatever they look like, in a body, `details` or a cause.
const SECRET_KEY =
  /^(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[_-]?key|app[_-]?secret|client[_-]?secret|secret|password|token|access[_-]?token|refresh[_-]?token|lift[_-]?token|signature)$/i;

const MAX_DEPTH = 16;
const MAX_ITEMS = 1000;
// Longest text kept (an error page, a reflected request): more is cut, not scanned.
const MAX_TEXT = 64 * 1024;
// Most text scanned in one value (a body may hold many strings); past it, strings are dropped.
const MAX_TOTAL_TEXT = 1024 * 1024;

/** `text` with every known secret and everything shaped like a credential replaced. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
  for (const secret of secrets) {
    // Shorter values would redact ordinary words; credentials are never that short.
    if (typeof secret === 'string' && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(CREDENTIAL, REDACTED)
    .replace(AUTH_SCHEME, `$1$2${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(HEX_256, REDACTED)
    .replace(NAMED_SECRET, `$1$2${REDACTED}`)
    .replace(USER_INFO, `$1${REDACTED}@`)
    .replace(QUERY_VALUE, `$1${REDACTED}`);
}

/**
 * A copy of `value` that is safe to show: strings redacted, secret-named keys blanked, errors
 * copied with their message, stack and fields redacted. Depth and size are bounded, cycles cut.
 * An `AuraError` (recognised by `keep`) is kept as it is: it was redacted when it was made.
 */
export function redactValue(
  value: unknown,
  secrets: readonly string[] = [],
  keep: (value: unknown) => boolean = () => false,
): unknown {
  return copy(value, secrets, keep, 0, { seen: new WeakSet(), textLeft: MAX_TOTAL_TEXT });
}

interface Walk {
  seen: WeakSet<object>;
  textLeft: number;
}

function copy(
  value: unknown,
  secrets: readonly string[],
  keep: (value: unknown) => boolean,
  depth: number,
  walk: Walk,
): unknown {
  if (typeof value === 'string') {
    if (walk.textLeft <= 0) return '[truncated]';
    walk.textLeft -= Math.min(value.length, MAX_TEXT);
    return redactText(value, secrets);
  }
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  if (typeof value !== 'object' || value === null) return value;
  if (keep(value)) return value;
  if (walk.seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  walk.seen.add(value);
  const next = (item: unknown) => copy(item, secrets, keep, depth + 1, walk);
  if (value instanceof Error) return copyError(value, secrets, next);
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map(next);
  if (value instanceof Date) return new Date(value.getTime());
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return `[${value.byteLength} bytes]`;
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of safeEntries(value).slice(0, MAX_ITEMS)) {
    const secretKey = SECRET_KEY.test(key) && item !== undefined && item !== null;
    out[redactText(key, secrets)] = secretKey ? REDACTED : next(item);
  }
  return out;
}

// Fields that errors from Node, undici and fetch polyfills carry, kept for diagnosis.
const ERROR_FIELDS = ['code', 'errno', 'syscall', 'address', 'port', 'hostname', 'host', 'status'];

/** An `Error` of the same name whose message, stack, fields, `cause` and `errors` are redacted. */
function copyError(error: Error, secrets: readonly string[], next: (v: unknown) => unknown) {
  const read = (key: string): unknown => {
    try {
      return (error as unknown as Record<string, unknown>)[key];
    } catch {
      return undefined;
    }
  };
  const cause = read('cause');
  const message = read('message');
  const out = new Error(
    redactText(typeof message === 'string' ? message : '', secrets),
    cause === undefined ? undefined : { cause: next(cause) },
  ) as Error & Record<string, unknown>;
  const name = read('name');
  if (typeof name === 'string') out.name = name;
  const stack = read('stack');
  out.stack =
    typeof stack === 'string' ? redactText(stack, secrets) : `${out.name}: ${out.message}`;
  for (const key of ERROR_FIELDS) {
    const field = read(key);
    if (field !== undefined) out[key] = next(field);
  }
  const errors = read('errors');
  if (Array.isArray(errors)) out.errors = errors.slice(0, 16).map(next);
  return out;
}

function safeEntries(value: object): Array<[string, unknown]> {
  try {
    return Object.entries(value);
  } catch {
    return [];
  }
}
