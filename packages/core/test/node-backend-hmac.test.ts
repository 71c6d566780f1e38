import { describe, expect, it, vi } from 'vitest';

// Node 24 made createHmac about six times dearer than Node 20; the node backend derives keys
// and signs from one-shot hashes over the HMAC pads instead. Here createHmac throws: every path
// of the backend (key derivation included) must still answer, and answer what createHmac would.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    createHmac: () => {
      throw new Error('createHmac was called');
    },
  };
});

const { createHmac: realCreateHmac } =
  await vi.importActual<typeof import('node:crypto')>('node:crypto');
const { nodeBackend } = await import('../src/crypto/node');
const { KEY_PREFIX, SERVICE } = await import('../src/signing/constants');

function expectedSignature(secret: string, date: string, data: string): string {
  // The real createHmac, from the unmocked module.
  const hmac = (key: Buffer | string, text: string) =>
    realCreateHmac('sha256', key).update(text, 'utf8').digest();
  const key = hmac(hmac(`${KEY_PREFIX}${secret}`, date), SERVICE);
  return realCreateHmac('sha256', key).update(data, 'utf8').digest('hex');
}

describe('node backend without createHmac', () => {
  it.each([
    ['a short secret', 'test-secret-key'],
    ['a secret longer than the HMAC block', 's'.repeat(200)],
    ['a non-ASCII secret', 'sécret-ключ-🔑'],
  ])('derives keys and signs with %s', (_, secret) => {
    const key = nodeBackend.deriveSigningKey(secret, '20240125');
    const data = 'AURA-HMAC-SHA256\n1706140800\napp/20240125/aura_request\nabc 🔑';
    expect(nodeBackend.hmacHex(key as never, data)).toBe(
      expectedSignature(secret, '20240125', data),
    );
  });
});
