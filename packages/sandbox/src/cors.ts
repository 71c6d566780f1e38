/** What a browser uploader sends: the API's headers and tus's. */
export const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'X-Api-Key',
  'X-Requested-With',
  'Tus-Resumable',
  'Upload-Length',
  'Upload-Offset',
  'Upload-Metadata',
  'Upload-Defer-Length',
  'Upload-Concat',
  'X-HTTP-Method-Override',
].join(', ');

export const ALLOWED_METHODS = 'GET, POST, PATCH, HEAD, DELETE, OPTIONS';

export const EXPOSED_HEADERS = [
  'Location',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Metadata',
  'Upload-Expires',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Retry-After',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
].join(', ');

export class Cors {
  readonly #any: boolean;
  readonly #origins: Set<string>;

  constructor(origins: readonly string[]) {
    this.#any = origins.includes('*');
    this.#origins = new Set(origins.map((o) => o.replace(/\/+$/, '')));
  }

  allows(origin: string | undefined): origin is string {
    return origin !== undefined && origin !== '' && (this.#any || this.#origins.has(origin));
  }

  /** Headers for an answer to `origin`; none when it is not one of the given origins. */
  headers(origin: string | undefined): Record<string, string> {
    if (!this.allows(origin)) return {};
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Expose-Headers': EXPOSED_HEADERS,
      Vary: 'Origin',
    };
  }

  /** Headers for a preflight (`OPTIONS` with `Access-Control-Request-Method`). */
  preflight(origin: string | undefined): Record<string, string> {
    if (!this.allows(origin)) return {};
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Allow-Headers': ALLOWED_HEADERS,
      'Access-Control-Max-Age': '600',
      Vary: 'Origin',
    };
  }
}
