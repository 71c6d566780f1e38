import * as nodeCrypto from 'node:crypto';
import { KEY_PREFIX, SERVICE } from '../signing/constants';
import type { CryptoBackend, SigningKey } from './types';

type OneShotHash = {
  (algorithm: string, data: string | Uint8Array, encoding: 'hex'): string;
  (algorithm: string, data: string | Uint8Array, encoding: 'buffer'): Buffer;
};

// `crypto.hash` (one-shot, no Hash object) exists from Node 20.12 / 21.7; Bun and Deno have
// only createHash/createHmac, so the backend falls back to them there.
const oneShot = (nodeCrypto as { hash?: OneShotHash }).hash;

const sha256Hex: (data: string | Uint8Array) => string =
  typeof oneShot === 'function'
    ? (data) => oneShot('sha256', data, 'hex')
    : (data) => nodeCrypto.createHash('sha256').update(data).digest('hex');

const BLOCK = 64;

/**
 * HMAC-SHA256 for key derivation, from two one-shot hashes over the RFC 2104 pads. Node 24 made
 * `createHmac` about six times dearer than on Node 20, and a verifier facing many app ids derives
 * keys often, so no path uses it where `crypto.hash` exists.
 */
function hmac(key: Buffer, data: string): Buffer {
  if (oneShot === undefined)
    return nodeCrypto.createHmac('sha256', key).update(data, 'utf8').digest();
  const padded = padKey(key.length > BLOCK ? oneShot('sha256', key, 'buffer') : key);
  const message = Buffer.from(data, 'utf8');
  const inner = Buffer.allocUnsafe(BLOCK + message.length);
  padded.inner.copy(inner, 0);
  message.copy(inner, BLOCK);
  oneShot('sha256', inner, 'buffer').copy(padded.outer, BLOCK);
  return oneShot('sha256', padded.outer, 'buffer');
}

/**
 * A signing key with its HMAC pads precomputed. `createHmac` spends most of its time setting
 * up an OpenSSL context per call (about 3 µs on Node 20), which is most of a signature's cost;
 * RFC 2104's HMAC from two one-shot SHA-256 calls over these pads is the same function at a
 * fraction of the cost, and the vectors check it against `createHmac` and WebCrypto.
 */
interface PaddedKey {
  raw: Buffer;
  inner: Buffer;
  /** opad block followed by room for the inner digest. */
  outer: Buffer;
}

function padKey(raw: Buffer): PaddedKey {
  // At most one block long: a derived signing key is 32 bytes, and `hmac` hashes longer keys.
  const inner = Buffer.alloc(BLOCK, 0x36);
  const outer = Buffer.alloc(BLOCK + 32, 0x5c);
  for (let i = 0; i < raw.length; i++) {
    inner[i]! ^= raw[i]!;
    outer[i]! ^= raw[i]!;
  }
  return { raw, inner, outer };
}

let scratch = Buffer.allocUnsafe(4096);

function hmacHexPadded(key: PaddedKey, data: string): string {
  if (oneShot === undefined) {
    return nodeCrypto.createHmac('sha256', key.raw).update(data, 'utf8').digest('hex');
  }
  // Everything below is synchronous, so the shared scratch and `outer` buffers cannot be
  // interleaved with another call.
  const needed = BLOCK + data.length * 3;
  if (scratch.length < needed) scratch = Buffer.allocUnsafe(needed);
  scratch.set(key.inner, 0);
  const written = scratch.write(data, BLOCK, 'utf8');
  key.outer.write(oneShot('sha256', scratch.subarray(0, BLOCK + written), 'hex'), BLOCK, 'hex');
  return oneShot('sha256', key.outer, 'hex');
}

export const nodeBackend: CryptoBackend = {
  name: 'node',
  sha256Hex,
  deriveSigningKey(appSecret, date): SigningKey {
    const dateKey = hmac(Buffer.from(KEY_PREFIX + appSecret, 'utf8'), date);
    return padKey(hmac(dateKey, SERVICE));
  },
  hmacHex: (key, data) => hmacHexPadded(key as PaddedKey, data),
  randomUUID: () => nodeCrypto.randomUUID(),
};
