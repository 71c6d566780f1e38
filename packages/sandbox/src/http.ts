import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a handler answers; the server writes it (and adds CORS and log details). */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** The error code answered, for the request log. */
  code?: string;
}

/** Aura's error shape for auth and state failures: `{ error: { message, code } }`. */
export function auraError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): Reply {
  return { status, code, body: { error: { message, code } }, ...(headers ? { headers } : {}) };
}

/** The "anything else" shape: a status and `{ message }`. */
export function plainError(
  status: number,
  message: string,
  headers?: Record<string, string>,
): Reply {
  return { status, body: { message }, ...(headers ? { headers } : {}) };
}

/** Laravel's 422: `{ message, errors: { field: [...] } }`, the message naming the first error. */
export function validationError(errors: Record<string, string[]>): Reply {
  const messages = Object.values(errors).flat();
  const first = messages[0] ?? 'The given data was invalid.';
  const more = messages.length - 1;
  const message =
    more > 0 ? `${first} (and ${more} more error${more === 1 ? '' : 's'})` : `${first}`;
  return { status: 422, code: 'validation_failed', body: { message, errors } };
}

export function ok(body: unknown, status = 200): Reply {
  return { status, body };
}

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/** Reads the raw body, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export type JsonBody = { ok: true; value: Record<string, unknown> } | { ok: false; reply: Reply };

/**
 * Deepest nesting of objects and arrays a JSON body may have. Anything deeper is refused before
 * parsing: what the sandbox keeps it later serialises (controls, the request log), and
 * `JSON.stringify` of a 20,000-deep value overflows the stack.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether JSON text nests objects or arrays deeper than `max`; one pass, strings skipped. */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** The 422 for a body nested deeper than `MAX_JSON_DEPTH`, on `field`. */
export function tooDeep(field: string, what: string): Reply {
  return validationError({
    [field]: [`The ${what} must not nest objects or arrays deeper than ${MAX_JSON_DEPTH} levels.`],
  });
}

/** Parses a JSON object body; an empty body is `{}`. */
export function parseJsonObject(raw: Buffer): JsonBody {
  if (raw.length === 0) return { ok: true, value: {} };
  const text = raw.toString('utf8');
  if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
    return { ok: false, reply: tooDeep('body', 'request body') };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reply: plainError(400, 'The request body is not valid JSON.') };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reply: plainError(400, 'The request body must be a JSON object.') };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** Writes a reply as JSON (or nothing for 204), with extra headers (CORS). */
export function send(res: ServerResponse, reply: Reply, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...extra, ...reply.headers };
  let payload: string | undefined;
  if (reply.body !== undefined && reply.status !== 204) {
    payload = JSON.stringify(reply.body);
    headers['Content-Type'] = 'application/json; charset=utf-8';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/** The single value of a header, `undefined` when absent or sent more than once. */
export function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const values = req.headersDistinct[name.toLowerCase()];
  if (values === undefined || values.length !== 1) return undefined;
  return values[0];
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}

/**
 * The host name of a `Host` header value (`name`, `name:port`, `[v6]:port`), lower-cased and
 * without a trailing dot; `undefined` when it is not one.
 */
export function hostName(header: string): string | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i.exec(header.trim());
  return match === null ? undefined : match[1]!.toLowerCase().replace(/\.$/, '');
}
