import { AuraError } from '../errors';

/**
 * A view's bytes as a `Uint8Array` over a plain `ArrayBuffer`, the only kind `fetch` takes: the
 * same memory when it is one (no copy), a copy when it is shared memory.
 */
function bytesOfView(view: ArrayBufferView): Uint8Array<ArrayBuffer> {
  const { buffer, byteOffset, byteLength } = view;
  if (buffer instanceof ArrayBuffer) {
    return view instanceof Uint8Array
      ? (view as Uint8Array<ArrayBuffer>)
      : new Uint8Array(buffer, byteOffset, byteLength);
  }
  return new Uint8Array(buffer, byteOffset, byteLength).slice();
}

/**
 * The exact bytes a request body goes out as, for the signer (which must hash what is sent) and
 * for the client's bearer calls alike: a string as UTF-8, bytes as they are, any other value as
 * its `JSON.stringify`. `undefined` and `null` mean no body. What cannot be turned into bytes
 * here (streams, blobs, forms, values JSON cannot represent) is refused with `invalid_body`
 * rather than sent as something else (`JSON.stringify` makes `{}` of a Blob).
 */
export function bodyBytes(body: unknown): string | Uint8Array<ArrayBuffer> | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return bytesOfView(body);
  if (
    (typeof Blob !== 'undefined' && body instanceof Blob) ||
    (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) ||
    (typeof FormData !== 'undefined' && body instanceof FormData) ||
    body instanceof URLSearchParams
  ) {
    throw new AuraError(
      'invalid_body',
      `a ${(body as object).constructor?.name} body cannot be sent as is; pass a string, bytes or a JSON value`,
    );
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(body);
  } catch (cause) {
    throw new AuraError(
      'invalid_body',
      `body cannot be serialised as JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (json === undefined) {
    throw new AuraError('invalid_body', `a ${typeof body} body cannot be serialised as JSON`);
  }
  return json;
}
