// Type-only: erased from the build, so the edge bundle has no node:crypto import.
import type { webcrypto } from 'node:crypto';
import { KEY_PREFIX, SERVICE } from '../signing/constants';
import type { CryptoBackend, SigningKey } from './types';

type Crypto = webcrypto.Crypto;
type SubtleCrypto = webcrypto.SubtleCrypto;
type CryptoKey = webcrypto.CryptoKey;

const encoder = new TextEncoder();
const HMAC = { name: 'HMAC', hash: 'SHA-256' } as const;

function subtle(): SubtleCrypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) {
    throw new Error('@aura/core: WebCrypto (globalThis.crypto.subtle) is not available here');
  }
  return c.subtle;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function toHex(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

function bytesOf(data: string | Uint8Array): Uint8Array<ArrayBuffer> {
  if (typeof data === 'string') return encoder.encode(data);
  // WebCrypto refuses views of a SharedArrayBuffer, which node:crypto hashes like any bytes:
  // copied here so that both backends answer alike.
  return data.buffer instanceof ArrayBuffer
    ? (data as Uint8Array<ArrayBuffer>)
    : new Uint8Array(data);
}

async function hmacRaw(
  key: Uint8Array<ArrayBuffer> | ArrayBuffer,
  data: string,
): Promise<ArrayBuffer> {
  const k = await subtle().importKey('raw', key, HMAC, false, ['sign']);
  return subtle().sign('HMAC', k, encoder.encode(data));
}

export const webBackend: CryptoBackend = {
  name: 'webcrypto',
  async sha256Hex(data) {
    return toHex(await subtle().digest('SHA-256', bytesOf(data)));
  },
  async deriveSigningKey(appSecret, date) {
    const dateKey = await hmacRaw(encoder.encode(KEY_PREFIX + appSecret), date);
    const signingKey = await hmacRaw(dateKey, SERVICE);
    return (await subtle().importKey('raw', signingKey, HMAC, false, ['sign'])) as SigningKey;
  },
  async hmacHex(key, data) {
    return toHex(await subtle().sign('HMAC', key as CryptoKey, encoder.encode(data)));
  },
  randomUUID: () => (globalThis as { crypto: Crypto }).crypto.randomUUID(),
};
