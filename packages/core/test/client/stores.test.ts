import { describe, expect, it } from 'vitest';
import { MemoryReauthStore, MemoryTokenStore, type StoredToken } from '../../src/index';

function token(name: string, now: number, lifetimeMs = 60_000): StoredToken {
  return {
    token: name,
    issuedAt: now,
    expiresAt: now + lifetimeMs,
    scopes: ['upload:init'],
    maxUses: 2,
  };
}

describe('MemoryTokenStore', () => {
  it('get-or-lock: one caller gets the lock, the others neither token nor lock', () => {
    let now = 1_000_000;
    const store = new MemoryTokenStore({ now: () => now });
    const first = store.getOrLock('k', 5000);
    expect(first.lock).toBeTypeOf('string');
    expect(store.getOrLock('k', 5000)).toEqual({});
    now += 5001; // a lost lock only costs an extra exchange
    expect(store.getOrLock('k', 5000).lock).toBeTypeOf('string');
  });

  it('set releases the lock and answers the token to everyone', () => {
    const now = 1_000_000;
    const store = new MemoryTokenStore({ now: () => now });
    const { lock } = store.getOrLock('k', 5000);
    store.set('k', token('t1', now), lock);
    expect(store.getOrLock('k', 5000)).toEqual({ token: token('t1', now) });
    expect(store.lock('k', 5000)).toBeTypeOf('string');
  });

  it('compare-and-invalidate forgets only the rejected token', () => {
    const now = 1_000_000;
    const store = new MemoryTokenStore({ now: () => now });
    store.set('k', token('t2', now));
    expect(store.invalidate('k', 't1')).toBe(false);
    expect(store.get('k')?.token).toBe('t2');
    expect(store.invalidate('k', 't2')).toBe(true);
    expect(store.get('k')).toBeUndefined();
  });

  it('counts uses per token and forgets expired tokens', () => {
    let now = 1_000_000;
    const store = new MemoryTokenStore({ now: () => now });
    store.set('k', token('t1', now));
    expect(store.use('k', 't1')).toBe(1);
    expect(store.use('k', 't1')).toBe(2);
    expect(store.use('k', 'old')).toBeUndefined();
    store.set('k', token('t2', now));
    expect(store.use('k', 't2')).toBe(1);
    now += 60_000;
    expect(store.get('k')).toBeUndefined();
    expect(store.use('k', 't2')).toBeUndefined();
  });
});

describe('MemoryReauthStore', () => {
  it('allows max per sliding window and says when the next one frees', () => {
    let now = 0;
    const store = new MemoryReauthStore({ now: () => now });
    for (let i = 0; i < 4; i++) {
      expect(store.take('k', 4, 600_000)).toEqual({ ok: true });
      now += 1000;
    }
    expect(store.take('k', 4, 600_000)).toEqual({ ok: false, retryAfterMs: 596_000 });
    expect(store.take('other', 4, 600_000)).toEqual({ ok: true });
    now = 600_001;
    expect(store.take('k', 4, 600_000)).toEqual({ ok: true });
    expect(store.take('k', 4, 600_000)).toEqual({ ok: false, retryAfterMs: 999 });
  });
});
