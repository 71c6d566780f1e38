// Nonce-store soak: one app id claiming 5 000 fresh nonces per second of a fake clock through two
// whole windows (2 × 300 + 1 s each), so that the store both fills and expires at full rate.
// Peak memory is sampled all along; prints one JSON line.

import { MemoryNonceStore } from '@aura/core';

// --quick: a tenth of the rate (the store still fills and expires through two windows; a smoke,
// not the memory figure).
const PER_SECOND = process.env.AURA_BENCH_QUICK === '1' ? 500 : 5_000;
const WINDOW_MS = (2 * 300 + 1) * 1000;
const windows = Number(process.env.AURA_SOAK_WINDOWS ?? 2);
const claims = Math.round((PER_SECOND * WINDOW_MS * windows) / 1000);

globalThis.gc?.();
const before = process.memoryUsage();
let now = 1_700_000_000_000;
const start = now;
const store = new MemoryNonceStore({ now: () => now });
let refused = 0;
let replays = 0;
let peakRss = before.rss;
let peakHeap = before.heapUsed;
let peakArrayBuffers = before.arrayBuffers;
const t0 = process.hrtime.bigint();
for (let i = 0; i < claims; i++) {
  // PER_SECOND claims per fake second, spread evenly (5 per millisecond at full rate).
  now = start + Math.floor((i * 1000) / PER_SECOND);
  try {
    if (
      !store.claim(
        'soak-app',
        `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
        WINDOW_MS,
      )
    )
      replays++;
  } catch {
    refused++;
  }
  if (i % 50_000 === 0) {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakArrayBuffers = Math.max(peakArrayBuffers, m.arrayBuffers);
  }
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
// The window's oldest nonce still held, its replay refused; a fresh one taken.
const firstHeld = !store.claim(
  'soak-app',
  `00000000-0000-4000-8000-${(claims - PER_SECOND * 600).toString(16).padStart(12, '0')}`,
  WINDOW_MS,
);
const freshTaken = store.claim('soak-app', 'fresh-after-soak', WINDOW_MS);
const MiB = 2 ** 20;
process.stdout.write(
  `${JSON.stringify({
    claims,
    simulatedSeconds: (now - start) / 1000,
    refused,
    replays,
    heldAtEnd: store.size,
    firstOfWindowRefusedAsReplay: firstHeld,
    freshAccepted: freshTaken,
    storeBytesMiB: store.byteLength / MiB,
    peakRssGrowthMiB: (peakRss - before.rss) / MiB,
    peakArrayBuffersMiB: peakArrayBuffers / MiB,
    peakHeapGrowthMiB: (peakHeap - before.heapUsed) / MiB,
    claimsPerSecondOfCpu: Math.round(claims / seconds),
  })}\n`,
);
