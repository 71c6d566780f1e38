import { describe, expect, it } from 'vitest';
import { isAuraError } from '../src/errors';
import { MemoryNonceStore } from '../src/replay/nonce-store';
import { signRequestWith } from '../src/signing/sign';
import { verifyRequestWith } from '../src/signing/verify';
import { backends } from './backends';

function clock(start = 0) {
  let now = start;
  return {
    now: () => now,
    set(ms: number) {
      now = ms;
    },
  };
}

function claimError(store: MemoryNonceStore, appId: string, nonce: string, ttlMs: number): unknown {
  try {
    store.claim(appId, nonce, ttlMs);
  } catch (error) {
    return error;
  }
  throw new Error('expected the claim to be refused');
}

describe('MemoryNonceStore', () => {
  it('claims a fresh nonce and refuses it a second time', () => {
    const store = new MemoryNonceStore();
    expect(store.claim('app', 'n1', 60_000)).toBe(true);
    expect(store.claim('app', 'n1', 60_000)).toBe(false);
    expect(store.claim('app', 'n2', 60_000)).toBe(true);
    expect(store.size).toBe(2);
  });

  it('expires a nonce after its ttl (injected clock)', () => {
    const c = clock(1_000);
    const store = new MemoryNonceStore({ now: c.now });
    expect(store.claim('app', 'n', 5_000)).toBe(true);
    c.set(5_999);
    expect(store.claim('app', 'n', 5_000)).toBe(false);
    expect(store.size).toBe(1);
    c.set(6_000);
    expect(store.size).toBe(0);
    expect(store.claim('app', 'n', 5_000)).toBe(true);
    // Claimed again: held for a fresh ttl from now.
    c.set(10_999);
    expect(store.claim('app', 'n', 5_000)).toBe(false);
  });

  it('expires entries behind a longer-lived one (mixed ttls)', () => {
    const c = clock();
    const store = new MemoryNonceStore({ now: c.now });
    expect(store.claim('app', 'long', 10_000)).toBe(true);
    expect(store.claim('app', 'short', 100)).toBe(true);
    c.set(200);
    expect(store.claim('app', 'short', 100)).toBe(true);
    expect(store.claim('app', 'long', 10_000)).toBe(false);
  });

  it('keeps one namespace per app id', () => {
    const store = new MemoryNonceStore();
    expect(store.claim('app-a', 'n', 60_000)).toBe(true);
    expect(store.claim('app-b', 'n', 60_000)).toBe(true);
    expect(store.claim('app-a', 'n', 60_000)).toBe(false);
    expect(store.claim('app-b', 'n', 60_000)).toBe(false);
    // Ids and nonces that would collide if the two were simply concatenated.
    expect(store.claim('a:b', 'c', 60_000)).toBe(true);
    expect(store.claim('a', 'b:c', 60_000)).toBe(true);
    expect(store.claim('__proto__', 'n', 60_000)).toBe(true);
    expect(store.claim('constructor', 'n', 60_000)).toBe(true);
    expect(store.claim('__proto__', 'n', 60_000)).toBe(false);
  });

  it('refuses with nonce_store_full rather than forgetting an unexpired nonce', () => {
    const c = clock();
    const store = new MemoryNonceStore({ maxPerApp: 3, now: c.now });
    for (const nonce of ['n1', 'n2', 'n3']) expect(store.claim('app', nonce, 1_000)).toBe(true);
    const error = claimError(store, 'app', 'n4', 1_000);
    expect(isAuraError(error, 'nonce_store_full')).toBe(true);
    // Nothing was forgotten to make room: every held nonce is still a replay.
    for (const nonce of ['n1', 'n2', 'n3']) expect(store.claim('app', nonce, 1_000)).toBe(false);
    expect(store.size).toBe(3);
    // The bound is per app id.
    expect(store.claim('other-app', 'n4', 1_000)).toBe(true);
  });

  it('accepts again once held nonces expire', () => {
    const c = clock();
    const store = new MemoryNonceStore({ maxPerApp: 2, now: c.now });
    expect(store.claim('app', 'n1', 1_000)).toBe(true);
    c.set(500);
    expect(store.claim('app', 'n2', 1_000)).toBe(true);
    expect(isAuraError(claimError(store, 'app', 'n3', 1_000), 'nonce_store_full')).toBe(true);
    c.set(1_000); // n1 has expired, n2 has not
    expect(store.claim('app', 'n3', 1_000)).toBe(true);
    expect(isAuraError(claimError(store, 'app', 'n4', 1_000), 'nonce_store_full')).toBe(true);
    expect(store.claim('app', 'n2', 1_000)).toBe(false);
    c.set(2_000);
    expect(store.claim('app', 'n4', 1_000)).toBe(true);
    expect(store.claim('app', 'n5', 1_000)).toBe(true);
  });

  it('frees expired entries wherever they sit when full (mixed ttls)', () => {
    const c = clock();
    const store = new MemoryNonceStore({ maxPerApp: 2, now: c.now });
    expect(store.claim('app', 'long', 10_000)).toBe(true);
    expect(store.claim('app', 'short', 100)).toBe(true);
    c.set(200);
    expect(store.claim('app', 'new', 100)).toBe(true);
    expect(store.claim('app', 'long', 10_000)).toBe(false);
  });

  it('answers a replay of a held nonce with false even when full', () => {
    const store = new MemoryNonceStore({ maxPerApp: 1 });
    expect(store.claim('app', 'n1', 60_000)).toBe(true);
    expect(store.claim('app', 'n1', 60_000)).toBe(false);
  });

  it('clear() forgets everything', () => {
    const store = new MemoryNonceStore();
    store.claim('app', 'n', 60_000);
    store.clear();
    expect(store.size).toBe(0);
    expect(store.claim('app', 'n', 60_000)).toBe(true);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses maxPerApp %s (configuration)',
    (maxPerApp) => {
      let error: unknown;
      try {
        new MemoryNonceStore({ maxPerApp });
      } catch (e) {
        error = e;
      }
      expect(isAuraError(error, 'configuration')).toBe(true);
    },
  );
});

describe.each(backends)('MemoryNonceStore behind verifyRequest with %s', (_, backend) => {
  const TS = 1706140800;
  const credentials = { appId: 'test-app-id', appSecret: 'test-secret-key' };

  async function received() {
    const signed = await signRequestWith(
      backend,
      credentials,
      { method: 'GET', url: '/api/uploader/config', headers: { Host: 'aura.example.com' } },
      { timestamp: TS },
    );
    return { method: signed.method, url: signed.url, headers: signed.headers };
  }

  it('a full store answers 503 nonce_store_full, never a pass', async () => {
    const nonceStore = new MemoryNonceStore({ maxPerApp: 1 });
    const options = {
      secrets: { [credentials.appId]: credentials.appSecret },
      now: () => TS * 1000,
      nonceStore,
    };
    expect(await verifyRequestWith(backend, await received(), options)).toEqual({
      ok: true,
      appId: credentials.appId,
    });
    const result = await verifyRequestWith(backend, await received(), options);
    expect(result).toEqual({
      ok: false,
      status: 503,
      code: 'nonce_store_full',
      message: expect.any(String),
    });
  });

  it('a store at its byte budget answers 503 nonce_store_full, never a pass', async () => {
    const nonceStore = new MemoryNonceStore({ maxBytes: 4096 });
    const options = {
      secrets: { [credentials.appId]: credentials.appSecret },
      now: () => TS * 1000,
      nonceStore,
    };
    const codes = new Set<string>();
    let accepted = 0;
    for (let i = 0; i < 300; i++) {
      const result = await verifyRequestWith(backend, await received(), options);
      if (result.ok) accepted++;
      else codes.add(`${result.status} ${result.code}`);
    }
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(256);
    expect([...codes]).toEqual(['503 nonce_store_full']);
  });

  it('the verifier holds a nonce for at least 2 × skew', async () => {
    let now = TS * 1000;
    const nonceStore = new MemoryNonceStore({ now: () => now });
    const options = {
      secrets: { [credentials.appId]: credentials.appSecret },
      now: () => TS * 1000,
      skewSeconds: 60,
      nonceStore,
    };
    const request = await received();
    expect((await verifyRequestWith(backend, request, options)).ok).toBe(true);
    now += 120_000 - 1;
    expect(nonceStore.claim(credentials.appId, String(request.headers['X-Aura-Nonce']), 1)).toBe(
      false,
    );
  });
});

describe('MemoryNonceStore capacity', () => {
  const WINDOW_MS = (2 * 300 + 1) * 1000;

  it('holds a whole window at 5 000 claims/s for one app id (3 million claims, fake clock)', () => {
    const c = clock(1_700_000_000_000);
    const store = new MemoryNonceStore({ now: c.now });
    const start = c.now();
    const claims = 5_000 * 601;
    // Nonces shaped like the signer's (UUID v4 length), distinct, cheap to make.
    const nonceOf = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    let refused = 0;
    for (let i = 0; i < claims; i++) {
      // 5 claims per millisecond: 5 000 per second of fake time.
      if (i % 5 === 0) c.set(start + i / 5);
      if (store.claim('busy-app', nonceOf(i), WINDOW_MS) !== true) refused++;
    }
    expect(refused).toBe(0);
    // The first nonce is still held at the last millisecond of its window...
    expect(c.now()).toBeLessThan(start + WINDOW_MS);
    expect(store.claim('busy-app', nonceOf(0), WINDOW_MS)).toBe(false);
    expect(store.claim('busy-app', nonceOf(claims - 1), WINDOW_MS)).toBe(false);
    // ...and a fresh one is still taken.
    expect(store.claim('busy-app', nonceOf(claims), WINDOW_MS)).toBe(true);
    expect(store.byteLength).toBeLessThanOrEqual(64 * 1024 * 1024);
  }, 120_000);

  it('refuses new nonces beyond its byte budget but still answers replays, then recovers', () => {
    const c = clock();
    const store = new MemoryNonceStore({ maxBytes: 4096, now: c.now });
    let accepted = 0;
    let error: unknown;
    for (let i = 0; i < 1_000 && error === undefined; i++) {
      try {
        if (store.claim('app', `n${i}`, 1_000)) accepted++;
      } catch (e) {
        error = e;
      }
    }
    expect(isAuraError(error, 'nonce_store_full')).toBe(true);
    // 4 KiB of 12-byte slots, at most 90 % full.
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThanOrEqual(Math.floor((4096 / 12) * 0.9));
    expect(store.byteLength).toBeLessThanOrEqual(4096);
    // Nothing was forgotten to make room.
    for (let i = 0; i < accepted; i++) expect(store.claim('app', `n${i}`, 1_000)).toBe(false);
    expect(isAuraError(claimError(store, 'other-app', 'x', 1_000), 'nonce_store_full')).toBe(true);
    c.set(1_000);
    expect(store.claim('app', 'n0', 1_000)).toBe(true);
    expect(store.claim('other-app', 'x', 1_000)).toBe(true);
  });

  it('expires entries continuously under steady load', () => {
    const c = clock();
    const store = new MemoryNonceStore({ now: c.now });
    for (let i = 0; i < 200_000; i++) {
      c.set(i);
      // Live at any time: 10 000 nonces of a 10 s TTL, one claim per ms.
      expect(store.claim(`app-${i % 7}`, `n${i}`, 10_000)).toBe(true);
    }
    expect(store.size).toBe(10_000);
    for (let i = 190_001; i < 200_000; i++) {
      expect(store.claim(`app-${i % 7}`, `n${i}`, 10_000)).toBe(false);
    }
  }, 60_000);

  it('starts parts afresh once everything in them has expired, within the same memory', () => {
    const c = clock();
    const store = new MemoryNonceStore({ now: c.now });
    for (let i = 0; i < 50_000; i++) store.claim('app', `n${i}`, 1_000);
    const busy = store.byteLength;
    c.set(1_000);
    for (let i = 0; i < 50_000; i++) expect(store.claim('app', `m${i}`, 1_000)).toBe(true);
    expect(store.byteLength).toBe(busy);
    expect(store.claim('app', 'n1', 1_000)).toBe(true);
    expect(store.claim('app', 'm1', 1_000)).toBe(false);
    expect(store.size).toBe(50_001);
  }, 60_000);

  it.each([0, 4095, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses maxBytes %s (configuration)',
    (maxBytes) => {
      expect(() => new MemoryNonceStore({ maxBytes })).toThrow(
        expect.objectContaining({ code: 'configuration' }),
      );
    },
  );

  it('refuses to claim when its clock answers NaN (every entry would look expired)', () => {
    const store = new MemoryNonceStore({ now: () => Number.NaN });
    expect(() => store.claim('app', 'n', 1_000)).toThrow(
      expect.objectContaining({ code: 'configuration' }),
    );
  });
});

describe('MemoryNonceStore TTL guard', () => {
  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses a TTL of %s rather than forgetting the nonce at once',
    (ttl) => {
      const store = new MemoryNonceStore();
      expect(() => store.claim('app', 'n-1', ttl)).toThrow(
        expect.objectContaining({ code: 'configuration' }),
      );
    },
  );
});
