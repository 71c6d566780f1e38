import { describe, expect, it } from 'vitest';
import { isAuraError, MemoryRateLimitStore } from '../../src/index';

describe('MemoryRateLimitStore', () => {
  it('counts hits per key in a fixed window and says when it resets', () => {
    let now = 1_000;
    const store = new MemoryRateLimitStore({ now: () => now });
    expect(store.increment('a', 60_000)).toEqual({ count: 1, resetMs: 60_000 });
    now += 10_000;
    expect(store.increment('a', 60_000)).toEqual({ count: 2, resetMs: 50_000 });
    expect(store.increment('b', 60_000)).toEqual({ count: 1, resetMs: 60_000 });
  });

  it('starts a new window once the old one has ended', () => {
    let now = 0;
    const store = new MemoryRateLimitStore({ now: () => now });
    store.increment('a', 1_000);
    store.increment('a', 1_000);
    now = 999;
    expect(store.increment('a', 1_000).count).toBe(3);
    now = 1_000;
    expect(store.increment('a', 1_000)).toEqual({ count: 1, resetMs: 1_000 });
  });

  it('holds at most maxKeys, sweeping ended windows first, then the oldest live one', () => {
    let now = 0;
    const store = new MemoryRateLimitStore({ maxKeys: 3, now: () => now });
    store.increment('old', 100);
    store.increment('x', 10_000);
    store.increment('y', 10_000);
    now = 200; // 'old' has ended
    store.increment('z', 10_000);
    expect(store.size).toBe(3);
    expect(store.increment('x', 10_000).count).toBe(2); // kept
    store.increment('w', 10_000); // full of live windows: 'x' was the oldest inserted
    expect(store.size).toBe(3);
    expect(store.increment('y', 10_000).count).toBe(2);
    for (let i = 0; i < 1_000; i++) store.increment(`k${i}`, 10_000);
    expect(store.size).toBe(3);
  });

  it('refuses a bad bound or window', () => {
    expect(() => new MemoryRateLimitStore({ maxKeys: 0 })).toThrow(/maxKeys/);
    const store = new MemoryRateLimitStore();
    let error: unknown;
    try {
      store.increment('a', Number.NaN);
    } catch (caught) {
      error = caught;
    }
    expect(isAuraError(error, 'invalid_argument')).toBe(true);
    store.increment('a', 10);
    store.clear();
    expect(store.size).toBe(0);
  });
});
