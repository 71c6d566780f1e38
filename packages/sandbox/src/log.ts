import type { IncomingHttpHeaders } from 'node:http';
import type { RequestLogEntry } from './types';

const TOKEN_PATTERN = /\b(aubt_|aulift_|aura_sk_)[A-Za-z0-9_-]+/g;
const SECRET_HEADERS = new Set(['x-api-key', 'x-capture-key', 'cookie', 'proxy-authorization']);

/** Keeps a recognisable prefix of a secret and never the rest. */
export function redactSecret(value: string): string {
  const keep = value.startsWith('aubt_')
    ? 9
    : value.startsWith('aulift_')
      ? 11
      : Math.min(8, Math.floor(value.length / 3));
  return `${value.slice(0, keep)}…[redacted]`;
}

export function redactText(text: string): string {
  return text.replace(TOKEN_PATTERN, (token) => redactSecret(token));
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
