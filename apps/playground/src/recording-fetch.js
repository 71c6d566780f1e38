// A `fetch` for the partner's AuraClient that keeps the last signed request it sent (and the
// status it got), so the page can show what exactly was signed for the last exchange.

/** @param {typeof fetch} inner */
export function recordingFetch(inner = globalThis.fetch) {
  let lastSigned;
  /** @type {typeof fetch} */
  const wrapped = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = init?.body;
    const record = {
      url,
      method: init?.method ?? 'GET',
      headers,
      body: typeof body === 'string' || body instanceof Uint8Array ? body : undefined,
      status: null,
    };
    // Only HMAC-signed calls carry the timestamp header; bearer calls are not kept.
    if (headers['x-aura-timestamp'] !== undefined) lastSigned = record;
    const response = await inner(input, init);
    record.status = response.status;
    return response;
  };
  return { fetch: wrapped, lastSigned: () => lastSigned };
}
