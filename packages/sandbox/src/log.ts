import type { IncomingHttpHeaders } from 'node:http';
import type { RequestLogEntry } from './types';

/**
 * Every secret and token Aura issues starts with one of these prefixes. They are matched wherever
 * they stand (no word boundary: `x_aubt_…` and `%3Daubt_…` are still tokens).
 */
const SECRET_PREFIXES = ['aubt_', 'aulift_', 'aura_sk_', 'aura_au_', 'aura_ck_'] as const;
const TOKEN_PATTERN = /(?:aubt_|aulift_|aura_sk_|aura_au_|aura_ck_)[A-Za-z0-9_-]+/g;
const SECRET_HEADERS = new Set(['x-api-key', 'x-capture-key', 'cookie', 'proxy-authorization']);

/** Keeps a recognisable prefix of a secret and never the rest. */
export function redactSecret(value: string): string {
  const keep = value.startsWith('aubt_')
    ? 9
    : value.startsWith('aulift_')
      ? 11
      : SECRET_PREFIXES.some((prefix) => value.startsWith(prefix))
        ? 8
        : Math.min(8, Math.floor(value.length / 3));
  return `${value.slice(0, keep)}…[redacted]`;
}

export function redactText(text: string): string {
  return text.replace(TOKEN_PATTERN, (token) => redactSecret(token));
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * A request target for the log. A token percent-encoded into the query (`aubt%5F…`) is a token
 * too: when the decoded target still shows one, the decoded target is logged, redacted.
 */
export function redactTarget(target: string): string {
  const redacted = redactText(target);
  const decoded = decodeSafe(redacted);
  TOKEN_PATTERN.lastIndex = 0;
  return TOKEN_PATTERN.test(decoded) ? redactText(decoded) : redacted;
}

/**
 * `Upload-Metadata` values are base64: a token in one (a lift token passed along as metadata) is
 * only visible decoded. Each value holding one is re-encoded redacted; the rest stay as sent.
 */
function redactUploadMetadata(value: string): string {
  return value
    .split(',')
    .map((pair) => {
      const [key, encoded, ...rest] = pair.trim().split(' ');
      if (encoded === undefined || rest.length > 0) return redactText(pair);
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      const redacted = redactText(decoded);
      return redacted === decoded
        ? redactText(pair)
        : `${key} ${Buffer.from(redacted, 'utf8').toString('base64')}`;
    })
    .join(',');
}

function redactAuthorization(value: string): string {
  const hmac = /^(AURA-HMAC-SHA256\s+Credential=[^,]*,\s*SignedHeaders=[^,]*,\s*Signature=)/i.exec(
    value,
  );
  if (hmac) return `${hmac[1]}[redacted]`;
  const bearer = /^(Bearer)\s+(\S+)/i.exec(value);
  if (bearer) return `${bearer[1]} ${redactSecret(bearer[2]!)}`;
  return '[redacted]';
}

export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : String(raw);
    if (name === 'authorization') out[name] = redactAuthorization(value);
    else if (SECRET_HEADERS.has(name)) out[name] = redactSecret(value);
    else if (name === 'upload-metadata') out[name] = redactUploadMetadata(value);
    else out[name] = redactText(value);
  }
  return out;
}

/** A bounded log of calls, oldest first. */
export class RequestLog {
  #entries: RequestLogEntry[] = [];
  #next = 1;

  constructor(private readonly limit: number) {}

  add(entry: Omit<RequestLogEntry, 'id'>): void {
    this.#entries.push({ id: this.#next++, ...entry });
    if (this.#entries.length > this.limit)
      this.#entries.splice(0, this.#entries.length - this.limit);
  }

  list(): RequestLogEntry[] {
    return this.#entries.map((e) => ({ ...e, headers: { ...e.headers } }));
  }

  clear(): void {
    this.#entries = [];
  }
}
