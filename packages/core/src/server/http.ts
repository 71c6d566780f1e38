/**
 * The neutral request and response every framework adapter translates to and from. No framework
 * type and no Node type appears here (the same code runs in the WebCrypto build for Workers), so
 * an adapter only copies fields: method, raw target and headers in; status, headers and a JSON
 * body out.
 */

/** What an adapter hands the core: no framework types. */
export interface NeutralRequest {
  method: string | undefined;
  /** Raw request target as received: path + query (origin-form), or absolute-form. */
  url: string | undefined;
  /**
   * Pass Node's `req.headersDistinct` (or a Web `Headers` converted with `headersFromWeb`):
   * Node's `req.headers` drops duplicate `Authorization` and `Host`, which the verifier must see.
   */
  headers: Record<string, string | string[] | undefined>;
}

/** What the core hands back; the adapter writes status, headers and JSON body. */
export interface NeutralResponse {
  status: number;
  /** Lowercase names, e.g. `{ 'retry-after': '12' }`. */
  headers: Record<string, string>;
  /** JSON-serialisable; errors are `{ error: { code, message } }`. */
  body: unknown;
}

/** The body of every error the server layer answers. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** A JSON answer. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): NeutralResponse {
  return { status, headers, body };
}

/** `{ error: { code, message } }` with `status`. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): NeutralResponse {
  return { status, headers, body: { error: { code, message } } satisfies ErrorBody };
}

/**
 * A Web `Headers` as the verifier needs it. `Headers` joins repeated fields with ", " (and keeps
 * `set-cookie` apart); a repeated `Authorization` therefore arrives as one value holding a comma,
 * which the verifier's strict parse refuses, so the duplicate rule still holds.
 */
export function headersFromWeb(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  const cookies = headers.getSetCookie?.();
  if (cookies !== undefined && cookies.length > 1) out['set-cookie'] = cookies;
  return out;
}

/** The header fields of a Node `IncomingMessage`, described structurally (no Node type here). */
export interface NodeHeaderSource {
  headers: Record<string, string | string[] | undefined>;
  rawHeaders?: readonly string[];
  headersDistinct?: Record<string, string[] | undefined>;
}

/**
 * A Node request's headers as the verifier needs them: every field as received, a repeated one
 * kept repeated. That is what `headersDistinct` holds, but Node builds it on first read, an
 * array per field, a cost paid on every verified request. `headers` is already built (every
 * framework reads it) and says the same thing when it holds exactly the received fields: its
 * keys, in order, are the received names lower-cased (so no name repeats, and nothing was added
 * or dropped) and each value is the received string (so nothing was folded or rewritten since).
 * Then it is answered as it is; otherwise `headersDistinct`.
 */
export function headersFromNode(req: NodeHeaderSource): NeutralRequest['headers'] {
  const { headers, rawHeaders } = req;
  if (rawHeaders !== undefined && headers !== null && typeof headers === 'object') {
    if (sameAsReceived(headers, rawHeaders)) return headers;
  }
  return req.headersDistinct ?? headers;
}

function sameAsReceived(
  headers: NeutralRequest['headers'],
  rawHeaders: readonly string[],
): boolean {
  let at = 0;
  for (const name in headers) {
    // An inherited enumerable key (a polluted prototype) is not a received field.
    if (!Object.hasOwn(headers, name) || at + 1 >= rawHeaders.length) return false;
    if (name !== rawHeaders[at]!.toLowerCase() || headers[name] !== rawHeaders[at + 1]) {
      return false;
    }
    at += 2;
  }
  return at === rawHeaders.length;
}

/** A `Content-Length` value as a number of bytes, when it is plain digits; else `undefined`. */
export function declaredLength(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * The body's length when Node's HTTP/1 parser delimits it by its declared length: a
 * `Content-Length` of plain digits and no `Transfer-Encoding` means exactly that many bytes
 * (bytes past it are the next request on the connection; fewer never end the body), and neither
 * header means no body (`null`). Anything else (chunked, HTTP/2's frames) is `undefined`: only
 * reading the stream tells its size.
 */
export function nodeBodyLength(
  req: Pick<NodeHeaderSource, 'headers'> & { httpVersionMajor?: number },
): number | null | undefined {
  if (req.httpVersionMajor !== 1) return undefined;
  const { 'content-length': declared, 'transfer-encoding': chunked } = req.headers;
  if (chunked !== undefined) return undefined;
  if (declared === undefined) return null;
  return declaredLength(declared);
}

/** The first value of a header (names compared case-insensitively). */
export function headerValue(headers: NeutralRequest['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const key in headers) {
    if (!Object.hasOwn(headers, key) || key.toLowerCase() !== wanted) continue;
    const value = headers[key];
    if (Array.isArray(value)) return value[0];
    if (value !== undefined) return value;
  }
  return undefined;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** True for `application/json` and `application/<anything>+json`, parameters allowed. */
export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_TYPE.test(contentType.trim());
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * JSON from bytes or text. Empty (or only whitespace) is `undefined`; invalid UTF-8 or invalid
 * JSON is a failure with a message that never echoes the body.
 */
export function parseJson(body: Uint8Array | string | undefined): JsonParse {
  if (body === undefined) return { ok: true, value: undefined };
  let text: string;
  try {
    text = typeof body === 'string' ? body : UTF8.decode(body);
  } catch {
    return { ok: false, message: 'the body is not valid UTF-8' };
  }
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, message: 'the body is not valid JSON' };
  }
}

/** Whether bytes with no content type should be read as JSON: they start with `{` or `[`. */
export function looksLikeJson(bytes: Uint8Array): boolean {
  const hasBom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  for (let i = hasBom ? 3 : 0; i < bytes.length; i++) {
    const byte = bytes[i];
    // JSON whitespace: space, tab, LF, CR.
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b || byte === 0x5b;
  }
  return false;
}
