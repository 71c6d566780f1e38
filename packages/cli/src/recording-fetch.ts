import { explainSignature, type SignatureExplanation } from '@aura/core';

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
}

/**
 * A `fetch` that remembers the last request it sent, so that a command can show what exactly
 * was signed (the question every 401 raises) without reaching into the client.
 */
export function recordingFetch(inner: typeof fetch = globalThis.fetch): {
  fetch: typeof fetch;
  last: () => RecordedRequest | undefined;
  lastSigned: () => RecordedRequest | undefined;
} {
  let last: RecordedRequest | undefined;
  let lastSigned: RecordedRequest | undefined;
  const wrapped: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = init?.body;
    last = {
      url,
      method: init?.method ?? 'GET',
      headers,
      body: typeof body === 'string' || body instanceof Uint8Array ? body : undefined,
    };
    if (headers['x-aura-timestamp'] !== undefined) lastSigned = last;
    return inner(input, init);
  };
  return { fetch: wrapped, last: () => last, lastSigned: () => lastSigned };
}

/** Every step of a recorded signed request's signature, rebuilt with its timestamp and nonce. */
export function explainRecorded(
  recorded: RecordedRequest,
  appId: string,
  appSecret: string,
): Promise<SignatureExplanation> {
  const headers: Record<string, string> = {};
  if (recorded.headers.host !== undefined) headers.Host = recorded.headers.host;
  if (recorded.headers['content-type'] !== undefined) {
    headers['Content-Type'] = recorded.headers['content-type'];
  }
  return explainSignature(
    { appId, appSecret },
    { method: recorded.method, url: recorded.url, headers, body: recorded.body },
    { timestamp: recorded.headers['x-aura-timestamp'], nonce: recorded.headers['x-aura-nonce'] },
  );
}
