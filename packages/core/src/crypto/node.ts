import * as nodeCrypto from 'node:crypto';
import { SERVICE } from '../signing/constants';
import { KEY_PREFIX } from '../signing/constants';
import type { CryptoBackend, SigningKey } from './types';

// `crypto.hash` (one-shot, no Hash object) exists from Node 20.12 / 21.7; Bun and Deno have
// createHash only, so fall back to it there.
const oneShotHash = (nodeCrypto as { hash?: (alg: string, data: string | Uint8Array, enc: 'hex') => string })
  .hash;

const sha256HexSync: (data: string | Uint8Array) => string =
  typeof oneShotHash === 'function'
    ? (data) => oneShotHash('sha256', data, 'hex')
    : (data) => nodeCrypto.createHash('sha256').update(data).digest('hex');

function hmac(key: nodeCrypto.BinaryLike | nodeCrypto.KeyObject, data: string): Buffer {
  return nodeCrypto.createHmac('sha256', key).update(data, 'utf8').digest();
}

export const nodeBackend: CryptoBackend = {
  name: 'node',
  sha256Hex: (data) => Promise.resolve(sha256HexSync(data)),
  deriveSigningKey(appSecret, date) {
    const dateKey = hmac(Buffer.from(KEY_PREFIX + appSecret, 'utf8'), date);
    // A KeyObject lets every later HMAC skip copying the key bytes.
    return Promise.resolve(nodeCrypto.createSecretKey(hmac(dateKey, SERVICE)) as SigningKey);
  },
  hmacHex: (key, data) =>
    Promise.resolve(
      nodeCrypto
        .createHmac('sha256', key as nodeCrypto.KeyObject)
        .update(data, 'utf8')
        .digest('hex'),
    ),
  randomUUID: () => nodeCrypto.randomUUID(),
};
