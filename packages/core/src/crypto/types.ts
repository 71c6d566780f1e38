/** A value, or a promise of it: synchronous backends answer directly, saving a microtask each. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * The only seam through which the SDK hashes. Two implementations pass the same vectors:
 * `node:crypto` (Node, Bun, Deno) and WebCrypto (Workers and other edge runtimes); the package's
 * `exports` conditions pick one. Results may be promises (WebCrypto is async) or plain values
 * (node:crypto is not); callers `await` or test for a string.
 */
export interface CryptoBackend {
  readonly name: 'node' | 'webcrypto';
  /** Lowercase hex SHA-256 of `data` (strings are hashed as UTF-8). */
  sha256Hex(data: string | Uint8Array): MaybePromise<string>;
  /** The AURA-HMAC-SHA256 signing key for (secret, YYYYMMDD date), in the backend's own form. */
  deriveSigningKey(appSecret: string, date: string): MaybePromise<SigningKey>;
  /** Lowercase hex HMAC-SHA256 of `data` (UTF-8) under a key from `deriveSigningKey`. */
  hmacHex(key: SigningKey, data: string): MaybePromise<string>;
  /** A fresh UUID v4 for `X-Aura-Nonce`. */
  randomUUID(): string;
}

/** Opaque to callers: each backend keeps its key in its own form. */
export type SigningKey = object;
