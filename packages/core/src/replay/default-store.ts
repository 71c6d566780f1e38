import { AuraError } from '../errors';
import { MemoryNonceStore, type NonceStore } from './nonce-store';

/**
 * The nonce store of verifiers given none: one per process, not one per loaded copy of this
 * package. An app that loads the ESM, CommonJS and edge builds side by side (a dependency
 * requiring what the app imports) would otherwise keep three replay histories, and a request
 * accepted through one copy would be accepted again through another. The store is kept on
 * `globalThis` under a registered symbol, as the error brand is, so every copy finds the same one.
 */
const KEY = Symbol.for('@aura/core.defaultNonceStore');

function isNonceStore(value: unknown): value is NonceStore {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { claim?: unknown }).claim === 'function'
  );
}

export function defaultNonceStore(): NonceStore {
  const holder = globalThis as Record<symbol, unknown>;
  const existing = holder[KEY];
  if (isNonceStore(existing)) return existing;
  if (existing !== undefined) {
    // Something else took the key: sharing one history is not possible, so refuse to verify
    // rather than keep a second history next to it.
    throw new AuraError(
      'configuration',
      'globalThis[Symbol.for("@aura/core.defaultNonceStore")] holds something that is not a nonce store',
    );
  }
  const store = new MemoryNonceStore();
  // Neither writable nor configurable: no later code can swap the history for an empty one.
  Object.defineProperty(holder, KEY, { value: store, enumerable: false });
  return store;
}
