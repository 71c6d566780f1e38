import { usageError } from './errors';
import { utf8OrUndefined } from './http-parts';

/** A request as captured, read from raw HTTP text or from `aura sign --json`. */
export interface CapturedRequest {
  method: string;
  /** The request target as received: `/path?query`. */
  target: string;
  headers: Record<string, string | string[]>;
  body: Uint8Array | undefined;
  /** The canonical request the sender signed, when the input carries it (`aura sign --json`). */
  signedCanonicalRequest?: string;
  /** Where it came from, for messages. */
  format: 'http' | 'json';
  /** Something about the input the reader should know (a body cut to Content-Length). */
  notes: string[];
}

// `METHOD /target HTTP/1.1` (origin-form or absolute-form target; the version may be left off).
const REQUEST_LINE =
  /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\/\S*|https?:\/\/\S+)(?: HTTP\/\d(?:\.\d)?)?$/i;

function addHeader(headers: CapturedRequest['headers'], name: string, value: string): void {
  const existing = Object.keys(headers).find((n) => n.toLowerCase() === name.toLowerCase());
  if (existing === undefined) {
    headers[name] = value;
    return;
  }
  const current = headers[existing]!;
  headers[existing] = Array.isArray(current) ? [...current, value] : [current, value];
}

function headerEnd(bytes: Uint8Array): { at: number; length: number } | undefined {
  for (let i = 0; i < bytes.length - 1; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i + 1] === 0x0a) return { at: i, length: 2 };
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return { at: i, length: 3 };
  }
  return undefined;
}

/** Raw HTTP/1.1 text: request line, headers, a blank line, the body (CRLF or LF line ends). */
function fromHttp(bytes: Uint8Array): CapturedRequest {
  const end = headerEnd(bytes);
  // Header bytes are Latin-1 on the wire; the body stays bytes.
  const head = Buffer.from(bytes.subarray(0, end?.at ?? bytes.length)).toString('latin1');
  const lines = head.split('\n').map((line) => line.replace(/\r$/, ''));
  const first = lines.shift() ?? '';
  const match = REQUEST_LINE.exec(first.trim());
  if (match === null) {
    throw usageError(
      `the captured request must start with a request line such as "POST /api/auth/exchange HTTP/1.1" (got "${first.slice(0, 80)}")`,
    );
  }
  const headers: CapturedRequest['headers'] = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw usageError(`not a header line in the captured request: "${line.slice(0, 80)}"`);
    addHeader(headers, line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const notes: string[] = [];
  let body = end === undefined ? undefined : bytes.subarray(end.at + end.length);
  const lengthHeader = Object.entries(headers).find(
    ([n]) => n.toLowerCase() === 'content-length',
  )?.[1];
  if (body !== undefined && typeof lengthHeader === 'string' && /^\d+$/.test(lengthHeader)) {
    const length = Number(lengthHeader);
    if (body.length > length) body = body.subarray(0, length);
    else if (body.length < length) {
      notes.push(`the body has ${body.length} bytes but Content-Length says ${length}`);
    }
  } else if (body?.every((b) => b === 0x0a || b === 0x0d)) {
    // Only line breaks after the headers: a request without Content-Length has no body.
    body = undefined;
  } else if (body !== undefined && body.length > 0) {
    notes.push(
      'no Content-Length: the body is every byte after the blank line, a final newline included',
    );
  }
  return {
    method: match[1]!,
    target: match[2]!,
    headers,
    body: body === undefined || body.length === 0 ? undefined : body,
    format: 'http',
    notes,
  };
}

function targetOf(url: string): string {
  const match = /^https?:\/\/[^/?#]*(.*)$/i.exec(url);
  const rest = match === null ? url : match[1]!;
  return rest === '' || rest.startsWith('?') ? `/${rest}` : rest;
}

/** What `aura sign --json` prints: `{ method, url, headers, body | bodyBase64, canonicalRequest }`. */
function fromJson(text: string): CapturedRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usageError(`the captured request is not valid JSON: ${(error as Error).message}`);
  }
  const json = value as Record<string, unknown>;
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw usageError('the captured request JSON must be an object');
  }
  if (typeof json.method !== 'string' || typeof json.url !== 'string') {
    throw usageError('the captured request JSON needs "method" and "url" strings');
  }
  const headers: CapturedRequest['headers'] = {};
  const given = json.headers ?? {};
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw usageError('"headers" in the captured request JSON must be an object');
  }
  for (const [name, v] of Object.entries(given as Record<string, unknown>)) {
    if (typeof v === 'string') addHeader(headers, name, v);
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
      for (const x of v) addHeader(headers, name, x);
    } else throw usageError(`header "${name}" in the captured request JSON must be a string`);
  }
  let body: Uint8Array | undefined;
  if (typeof json.body === 'string') body = new TextEncoder().encode(json.body);
  else if (typeof json.bodyBase64 === 'string')
    body = new Uint8Array(Buffer.from(json.bodyBase64, 'base64'));
  else if (json.body !== undefined && json.body !== null) {
    throw usageError('"body" in the captured request JSON must be the exact text sent (a string)');
  }
  return {
    method: json.method,
    target: targetOf(json.url),
    headers,
    body: body === undefined || body.length === 0 ? undefined : body,
    ...(typeof json.canonicalRequest === 'string'
      ? { signedCanonicalRequest: json.canonicalRequest }
      : {}),
    format: 'json',
    notes: [],
  };
}

/** Reads a captured request: JSON when it starts with `{`, else raw HTTP. */
export function parseCaptured(bytes: Uint8Array): CapturedRequest {
  const start = bytes.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  if (start === -1) throw usageError('the captured request is empty');
  if (bytes[start] === 0x7b) {
    const text = utf8OrUndefined(bytes);
    if (text === undefined) throw usageError('the captured request JSON is not valid UTF-8');
    return fromJson(text);
  }
  return fromHttp(bytes.subarray(start));
}

/** The one value of a header (any casing), or `undefined`. */
export function headerOf(request: CapturedRequest, name: string): string | undefined {
  const entry = Object.entries(request.headers).find(([n]) => n.toLowerCase() === name);
  if (entry === undefined) return undefined;
  return Array.isArray(entry[1]) ? entry[1].join(',') : entry[1];
}
