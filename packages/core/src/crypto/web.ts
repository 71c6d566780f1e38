// Type-only: erased from the build, so the edge bundle has no node:crypto import.
import type { webcrypto } from 'node:crypto';
import { type _HMAC, hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { KEY_PREFIX, SERVICE } from '../signing/constants';
import type { CryptoBackend, SigningKey } from './types';

type Crypto = webcrypto.Crypto;
type SubtleCrypto = webcrypto.SubtleCrypto;
type Sha256 = ReturnType<typeof sha256.create>;

/*
 * The edge build's backend. A signature hashes a few hundred bytes three times; through
 * WebCrypto each is a promise (on Node, a thread-pool round trip) costing far more than the
 * hashing, which held the build to a few thousand signatures a second. Small inputs are hashed
 * synchronously with `@noble/hashes` (audited, pure JavaScript, no dependencies), and only a
 * large body goes to WebCrypto, where native code pays back the wait. Both paths pass the same
 * vectors as the node:crypto backend.
 */

const encoder = new TextEncoder();

/** Above this many bytes a body is hashed by WebCrypto (native) rather than in JavaScript. */
const SUBTLE_MIN_BYTES = 16 * 1024;

function subtle(): SubtleCrypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) {
    throw new Error('@aura/core: WebCrypto (globalThis.crypto.subtle) is not available here');
  }
  return c.subtle;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

// Reused buffers: every use below is synchronous, so no two calls can share them at once.
let scratch = new Uint8Array(1024);
const digest = new Uint8Array(32);

/** UTF-8 bytes of `text` in the shared scratch buffer (a view valid until the next call). */
function utf8(text: string): Uint8Array {
  // At most 3 bytes per UTF-16 code unit.
  if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
  const { written } = encoder.encodeInto(text, scratch);
  return scratch.subarray(0, written);
}

/** Initial SHA-256 state, cloned into a reused hasher instead of allocating one per call. */
const blank: Sha256 = sha256.create();
let hasher: Sha256 = sha256.create();

function sha256HexSync(bytes: Uint8Array): string {
  hasher = blank._cloneInto(hasher);
  hasher.update(bytes).digestInto(digest);
  return toHex(digest);
}

/** A signing key: the HMAC with its pads already absorbed, cloned for each use. */
interface NobleKey {
  readonly mac: _HMAC<Sha256>;
}

let mac: _HMAC<Sha256> | undefined;

function hmacHexSync(key: NobleKey, data: string): string {
  mac = key.mac._cloneInto(mac);
  mac.update(utf8(data)).digestInto(digest);
  return toHex(digest);
}

function hmacBytes(key: Uint8Array, data: string): Uint8Array {
  return hmac(sha256, key, encoder.encode(data));
}

export const webBackend: CryptoBackend = {
  name: 'webcrypto',
  sha256Hex(data) {
    if (typeof data === 'string') {
      // A long string may be short in bytes, never long in bytes while short in characters.
      if (data.length <= SUBTLE_MIN_BYTES / 3) return sha256HexSync(utf8(data));
      data = encoder.encode(data);
    }
    if (data.length <= SUBTLE_MIN_BYTES) return sha256HexSync(data);
    // WebCrypto refuses views of a SharedArrayBuffer, which node:crypto hashes like any bytes:
    // copied here so that both backends answer alike.
    const bytes = data.buffer instanceof ArrayBuffer ? data : new Uint8Array(data);
    return subtle()
      .digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)
      .then((buffer) => toHex(new Uint8Array(buffer)));
  },
  deriveSigningKey(appSecret, date): SigningKey {
    const dateKey = hmacBytes(encoder.encode(KEY_PREFIX + appSecret), date);
    const signingKey = hmacBytes(dateKey, SERVICE);
    const key: NobleKey = { mac: hmac.create(sha256, signingKey) };
    return key;
  },
  hmacHex: (key, data) => hmacHexSync(key as NobleKey, data),
  randomUUID: () => (globalThis as { crypto: Crypto }).crypto.randomUUID(),
};
