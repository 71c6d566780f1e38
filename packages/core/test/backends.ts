import { nodeBackend } from '../src/crypto/node';
import type { CryptoBackend } from '../src/crypto/types';
import { webBackend } from '../src/crypto/web';

/** Every protocol test runs once per crypto backend. */
export const backends: ReadonlyArray<[string, CryptoBackend]> = [
  ['node:crypto', nodeBackend],
  ['WebCrypto', webBackend],
];
