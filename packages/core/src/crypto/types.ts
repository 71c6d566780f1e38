/**
 * The only seam through which the SDK hashes. Two implementations pass the same vectors:
 * `node:crypto` (Node, Bun, Deno) and WebCrypto (Workers and other edge runtimes); the package's
 * `exports` conditions pick one. The API is async because WebCrypto is.
 */
export interface CryptoBackend {
  readonly name: 'node' | 'webcrypto';
  /** Lowercase hex SHA-256 of `data` (strings are hashed as UTF-8). */
  sha256Hex(data: string | Uint8Array): Promise<string>;
  /** The AURA-HMAC-SHA256 signing key for (secret, YYYYMMDD date), in the backend's own form. */
  deriveSigningKey(appSecret: string, date: string): Promise<SigningKey>;
  /** Lowercase hex HMAC-SHA256 of `data` (UTF-8) under a key from `deriveSigningKey`. */
  hmacHex(key: SigningKey, data: string): Promise<string>;
  /** A fresh UUID v4 for `X-Aura-Nonce`. */
  randomUUID(): string;
}

/** Opaque to callers: a `Uint8Array` for node:crypto, a `CryptoKey` for WebCrypto. */
export type SigningKey = object;
