import { AuraError } from '../errors';

/**
 * Canonicalisation shared by the signer and the verifier (docs/PROTOCOL.md steps 3–6), so that the
 * two can never disagree.
 */

// Characters `encodeURIComponent` leaves alone: such a segment is already canonical.
const UNRESERVED_SEGMENT = /^[A-Za-z0-9\-_.!~*'()]*$/;
// A path that is already canonical: non-empty unreserved segments, none of them `.` or `..`.
const CANONICAL_PATH = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9\-_.!~*'()]+)+\/?$/;
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;

export interface CanonicalPathOptions {
  /**
   * The signer refuses a segment that decodes to `.` or `..` (`%2E`, `%2e%2E`): HTTP clients
   * resolve those as dot segments before sending, so what was signed would not be what is sent.
   */
  refuseEncodedDots?: boolean;
}

function canonicalSegment(segment: string, options: CanonicalPathOptions | undefined): string {
  if (UNRESERVED_SEGMENT.test(segment)) return segment;
  if (BAD_PERCENT.test(segment)) {
    throw new AuraError(
      'invalid_path',
      `path segment "${segment}" is not valid percent-encoding (a "%" must be followed by two hex digits)`,
    );
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch (cause) {
    throw new AuraError('invalid_path', `path segment "${segment}" does not decode to UTF-8 text`, {
      cause,
    });
  }
  if (options?.refuseEncodedDots && (decoded === '.' || decoded === '..')) {
    throw new AuraError(
      'invalid_path',
      `path segment "${segment}" is an encoded dot segment, which HTTP clients rewrite before sending`,
    );
  }
  try {
    return encodeURIComponent(decoded);
  } catch (cause) {
    // A lone surrogate in a raw (unencoded) segment.
    throw new AuraError('invalid_path', 'path holds text that is not valid Unicode', { cause });
  }
}

/**
 * docs/PROTOCOL.md step 5, from the point where the path is known (base prefix applied, query cut):
 * resolve `.` and `..` (never above the root), drop empty segments, keep a trailing `/`
 * (as RFC 3986 and WHATWG URL do, also after a final `.` or `..`), then percent-decode and
 * re-encode each segment with the `encodeURIComponent` set.
 */
export function canonicalPath(path: string, options?: CanonicalPathOptions): string {
  if (path === '' || path === '/') return '/';
  if (CANONICAL_PATH.test(path)) return path;
  const segments = path.split('/');
  const out: string[] = [];
  for (const segment of segments) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      out.pop();
      continue;
    }
    out.push(canonicalSegment(segment, options));
  }
  if (out.length === 0) return '/';
  const last = segments[segments.length - 1];
  const trailingSlash = last === '' || last === '.' || last === '..';
  return `/${out.join('/')}${trailingSlash ? '/' : ''}`;
}

/** docs/PROTOCOL.md step 6: sort the `key=value` pieces as plain strings (code-unit order). */
export function canonicalQuery(pieces: string[]): string {
  if (pieces.length === 0) return '';
  if (pieces.length === 1) return pieces[0]!;
  return pieces.sort().join('&');
}

const VISIBLE_ASCII = /^[\x21-\x7e]*$/;

/** Trim, then collapse every run of whitespace to one space (docs/PROTOCOL.md step 3). */
export function normalizeHeaderValue(value: string): string {
  // Timestamps, nonces, hosts and media types are visible ASCII: nothing to trim or collapse,
  // known from one test without trimming or searching for runs.
  if (VISIBLE_ASCII.test(value)) return value;
  const trimmed = value.trim();
  return /\s\s|[^\S ]/.test(trimmed) ? trimmed.replace(/\s+/g, ' ') : trimmed;
}

/** `encodeURIComponent(key)=encodeURIComponent(String(value))` for each extra query parameter. */
export function encodeQueryMap(
  query: Record<string, string | number | boolean | undefined>,
): string[] {
  const pieces: string[] = [];
  for (const key in query) {
    if (!Object.hasOwn(query, key)) continue;
    const value = query[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new AuraError(
        'invalid_url',
        `query parameter "${key}" must be a string, number or boolean (got ${value === null ? 'null' : typeof value})`,
      );
    }
    try {
      pieces.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
    } catch (cause) {
      throw new AuraError('invalid_url', `query parameter "${key}" is not valid Unicode`, {
        cause,
      });
    }
  }
  return pieces;
}

// What a WHATWG URL parser (and so `fetch`) percent-encodes in the query of an http(s) URL:
// space, `"`, `#`, `'`, `<`, `>` and everything beyond ASCII. Controls are refused earlier.
const WIRE_QUERY_UNSAFE = /[ "#'<>]|[^\x00-\x7e]/u;
const WIRE_QUERY_UNSAFE_GLOBAL = /[ "#'<>]|[^\x00-\x7e]/gu;

/**
 * The URL's own query as it will go on the wire. Pieces are not re-encoded (docs/PROTOCOL.md step 6);
 * only characters that an HTTP client would encode anyway are, so that what is signed is what is
 * sent.
 */
export function wireQuery(query: string): string {
  if (!WIRE_QUERY_UNSAFE.test(query)) return query;
  try {
    return query.replace(WIRE_QUERY_UNSAFE_GLOBAL, (ch) => encodeURIComponent(ch));
  } catch (cause) {
    throw new AuraError('invalid_url', 'the URL query holds text that is not valid Unicode', {
      cause,
    });
  }
}
