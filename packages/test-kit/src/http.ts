import http from 'node:http';
import { signRequest } from '@aura/core';

export interface Answer {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the text when it is not JSON. */
  body: unknown;
  text: string;
}

const DEADLINE_MS = 10_000;

/** A fetch with a deadline, answering the status, headers and parsed body. */
export async function call(
  url: string,
  init: RequestInit & { user?: string } = {},
): Promise<Answer> {
  const { user, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (user !== undefined) headers.set('x-test-user', user);
  const response = await fetch(url, {
    ...rest,
    headers,
    signal: AbortSignal.timeout(DEADLINE_MS),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: the text is the body
  }
  return { status: response.status, headers: response.headers, body, text };
}

export interface SignedCall {
  /** Target to send to (path + query), default the one signed. */
  sendTo?: string;
  /** Path + query to sign. */
  path: string;
  body: string;
  credentials: { appId: string; appSecret: string };
  contentType?: string;
  /** Changes the bytes after signing. */
  tamper?: (bytes: Uint8Array<ArrayBuffer>) => Uint8Array;
}

/** The signed headers and the exact bytes for a call to `base + path`. */
export async function signedParts(base: string, options: SignedCall) {
  const signed = await signRequest(options.credentials, {
    method: 'POST',
    baseUrl: base,
    url: options.path,
    headers: { 'Content-Type': options.contentType ?? 'application/json' },
    body: options.body,
  });
  // A copy in a fresh ArrayBuffer: what fetch takes as a body, and safe to tamper with.
  let bytes: Uint8Array<ArrayBuffer> =
    typeof signed.body === 'string'
      ? new TextEncoder().encode(signed.body)
      : new Uint8Array(signed.body ?? new Uint8Array());
  if (options.tamper !== undefined) bytes = new Uint8Array(options.tamper(bytes.slice()));
  // fetch sets Host itself, from the URL: the same value the signer derived from it.
  const { Host: _host, ...headers } = signed.headers;
  return { headers, bytes, target: options.sendTo ?? options.path };
}

/** Signs and sends a call with fetch. */
export async function signedCall(base: string, options: SignedCall): Promise<Answer> {
  const parts = await signedParts(base, options);
  return call(base + parts.target, {
    method: 'POST',
    headers: parts.headers,
    body: parts.bytes,
  });
}

/**
 * A request through node:http, where repeated headers are sent as separate lines (fetch would
 * merge them into one): `headers` values given as arrays are sent once per item.
 */
export function rawRequest(
  base: string,
  options: {
    method: string;
    path: string;
    headers: Record<string, string | string[]>;
    body?: Uint8Array;
  },
): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method,
        path: options.path,
        timeout: DEADLINE_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            // not JSON
          }
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') headers.set(name, value);
          }
          resolve({ status: res.statusCode ?? 0, headers, body, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within the deadline')));
    req.on('error', reject);
    for (const [name, value] of Object.entries(options.headers)) req.setHeader(name, value);
    if (options.body !== undefined) req.setHeader('content-length', options.body.length);
    req.end(options.body === undefined ? undefined : Buffer.from(options.body));
  });
}
