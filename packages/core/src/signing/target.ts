/**
 * The verifier's reading of a raw request target (docs/VERIFIER.md, "the path the server routes
 * on"). A signature covers a canonical path; the server routes on its own reading of the raw
 * target. Where the two readings could differ, the target is refused instead of guessed at:
 * routers built on WHATWG URLs (`new URL(req.url, base)`: Hono, the sandbox, most edge
 * runtimes) read `\` as `/`, resolve `%2e` segments as dot segments and keep `//` as an empty
 * segment, while the canonical path treats `\` as a character, `%2e` as a literal dot and
 * collapses `//`. A target that is already canonical in those respects reads the same both ways;
 * the signer only ever sends such targets.
 */

/** The parts of a raw target that the signature covers, or why the target is refused. */
export type ParsedTarget =
  | {
      ok: true;
      /** The authority of an absolute-form target (`http://authority/path`), as received. */
      authority: string | undefined;
      /** The raw path: `/`-led, or empty for an absolute-form target without one. */
      path: string;
      /** The raw query, without `?`; empty when there is none. */
      query: string;
    }
  | { ok: false; message: string };

const ABSOLUTE_FORM = /^https?:\/\//i;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const PERCENT = 0x25;

/** Splits origin-form (`/path?query`) and absolute-form (`http://host/path?query`) targets. */
export function parseTarget(target: unknown): ParsedTarget {
  if (typeof target !== 'string' || target === '') {
    return { ok: false, message: 'the request has no target (url); expected a path such as /api' };
  }
  let rest = target;
  let authority: string | undefined;
  const scheme = ABSOLUTE_FORM.exec(rest);
  if (scheme !== null) {
    // The authority runs to the first `/`, `?` or `#` (RFC 3986 3.2).
    let end = scheme[0].length;
    while (end < rest.length) {
      const c = rest.charCodeAt(end);
      if (c === SLASH || c === 0x3f || c === 0x23) break;
      end++;
    }
    authority = rest.slice(scheme[0].length, end);
    rest = rest.slice(end);
  } else if (rest.charCodeAt(0) !== SLASH) {
    // Not origin-form: `api/x` or `http:x` would be read relative to something, `*` names no path.
    return {
      ok: false,
      message: 'the request target must be a path starting with "/" or an absolute http(s) URL',
    };
  }
  // A fragment is never part of what was signed or routed.
  const hashAt = rest.indexOf('#');
  if (hashAt !== -1) rest = rest.slice(0, hashAt);
  const queryAt = rest.indexOf('?');
  const path = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const problem = routedPathProblem(path);
  if (problem !== undefined) {
    return {
      ok: false,
      message: `the request path holds ${problem}, which servers do not all read alike; send the canonical path`,
    };
  }
  return { ok: true, authority, path, query: queryAt === -1 ? '' : rest.slice(queryAt + 1) };
}

/**
 * Why a raw path (no query) could be routed somewhere other than its canonical form, or
 * `undefined` when it cannot: a backslash, a dot segment (`.`, `..`, raw or percent-encoded in
 * any case), an empty segment other than a trailing `/`, or a control character or space.
 * One pass over the characters, no regular expression.
 */
export function routedPathProblem(path: string): string | undefined {
  const end = path.length;
  if (end === 0) return undefined;
  let segmentStart = 1;
  // Position `end` acts as a closing `/`, so the last segment is checked like the others.
  for (let i = 1; i <= end; i++) {
    const c = i === end ? SLASH : path.charCodeAt(i);
    if (c === SLASH) {
      const length = i - segmentStart;
      if (length === 0) {
        // An empty last segment is the trailing `/` of `/api/uploads/`, which is allowed.
        if (i !== end) return 'an empty segment ("//")';
      } else if (length <= 6 && isDotSegment(path, segmentStart, i)) {
        return 'a dot segment ("." or "..", possibly percent-encoded)';
      }
      segmentStart = i + 1;
    } else if (c === BACKSLASH) {
      return 'a backslash';
    } else if (c <= 0x20 || c === 0x7f) {
      return 'a control character or space';
    }
  }
  return undefined;
}

/** `.` or `..`, each dot written as `.` or `%2e` / `%2E` (WHATWG URL's "single/double-dot segment"). */
function isDotSegment(path: string, start: number, end: number): boolean {
  let dots = 0;
  let i = start;
  while (i < end) {
    const c = path.charCodeAt(i);
    if (c === DOT) {
      i += 1;
    } else if (
      c === PERCENT &&
      i + 3 <= end &&
      path.charCodeAt(i + 1) === 0x32 &&
      (path.charCodeAt(i + 2) | 0x20) === 0x65
    ) {
      i += 3;
    } else {
      return false;
    }
    dots++;
  }
  return dots === 1 || dots === 2;
}
