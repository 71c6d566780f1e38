import { AuraError } from '../errors';

/**
 * Where the verifier remembers nonces it has accepted. `claim` answers `true` when the nonce
 * was not held for this app id and now is (for `ttlMs`), `false` when it is a replay. It must
 * be atomic across everything that shares the store (a Redis store uses `SET NX PX`). Throwing
 * or rejecting makes the verifier answer 503: a store that cannot answer never lets a call in.
 */
export interface NonceStore {
  claim(appId: string, nonce: string, ttlMs: number): boolean | Promise<boolean>;
}

export interface MemoryNonceStoreOptions {
  /**
   * Memory the store may hold, in bytes, shared by all app ids (default 64 MiB, at least 4 KiB).
   * Each held nonce takes a 12-byte slot, and tables are kept at most 90 % full, so the default
   * holds about 5 million nonces: 5 000 verified requests per second for a whole window of
   * 2 × 300 + 1 s with room to spare. Past it, claims fail (`nonce_store_full`, answered 503)
   * rather than forget a nonce. The budget is reserved as one buffer on the first claim; the
   * system backs only the pages written to, so a quiet store stays small in resident memory.
   */
  maxBytes?: number;
  /**
   * @deprecated Use `maxBytes`, which bounds the store's memory whatever the number of app ids.
   * When given, it still caps the unexpired nonces held for any one app id (past it, that app's
   * claims fail with `nonce_store_full`), at 8 more bytes per nonce held; by default there is no
   * per-app cap.
   */
  maxPerApp?: number;
  /** Clock in milliseconds; defaults to `Date.now`. */
  now?: () => number;
}

/** Default `maxBytes`: 64 MiB. */
export const DEFAULT_NONCE_STORE_BYTES = 64 * 1024 * 1024;
const MIN_BYTES = 4096;
/**
 * A slot: a 64-bit fingerprint (two 32-bit words) and a 32-bit expiry, in whole ms after its
 * segment's base time (rounded up: an entry may be held up to 1 ms longer, never shorter).
 */
const SLOT_BYTES = 12;
/** Largest expiry offset a slot holds; a segment is rebuilt on a later base before it is needed. */
const MAX_OFFSET = 0xffff_ffff;
/** Longest TTL taken (2^31 ms, about 24.8 days), so that any claim fits a freshly based segment. */
const MAX_TTL_MS = 2 ** 31;
const INITIAL_SLOTS = 16;
/** A segment grows (if the budget allows) once this full: linear probes stay a few slots long. */
const GROW_LOAD = 0.8;
/** Past this, with no budget left to grow, new nonces are refused instead of probing ever longer. */
const FULL_LOAD = 0.9;
/** Slots of its segment each claim examines for expired entries (amortised O(1) clean-up). */
const SWEEP_PER_CLAIM = 8;
const MAX_SEGMENT_BITS = 8;

/*
 * How the store is laid out, and why it can refuse a genuine nonce but never accept a replay.
 *
 * Each (app id, nonce) is reduced to a 64-bit fingerprint by a keyed hash (random per store), and
 * the fingerprint is kept with its expiry in open-addressed, linearly probed tables of typed
 * arrays: 12 bytes per nonce, no strings, no per-entry objects for the garbage collector to walk.
 * The fingerprint's top bits choose one of up to 256 segments and its next bits the home slot in
 * it, so a claim touches one short run of adjacent slots: O(1), whatever the number held.
 * Expired entries are removed as each claim sweeps a few slots of its segment (backward-shift
 * deletion, so no tombstones lengthen the probes), reused in place when a probe meets them, and a
 * segment whose every entry has expired is dropped whole. A segment grows in place within its
 * share of the budget (one segment is rehashed at a time, never the whole store); at its share it
 * fills to 90 % and further new nonces are refused, fast.
 *
 * A replay is never accepted: the fingerprint is a function of (app id, nonce) alone, so a replay
 * has the fingerprint of the claim it repeats; that claim's entry stays until its own expiry (the
 * sweep removes only expired entries, a resize carries every unexpired one, and backward shifting
 * keeps every entry between its home slot and the next empty one, where probing looks); so the
 * replay's probe finds it and the answer is `false`. Two different pairs with the same
 * fingerprint go the other way: the second is taken for a replay and refused, a genuine request
 * answered 401. That needs all 64 bits to match one of the entries held: at most 5 million in
 * 2^64, under 3 × 10^-13 per claim with a full default store.
 */

// Fingerprint of the last `fingerprint` call: two results without allocating an array.
let fpHi = 0;
let fpLo = 0;

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * A keyed 64-bit hash of (`appId`, `nonce`): the first two lanes of MurmurHash3 x86_128 over a
 * first block holding both lengths, then each text's UTF-16 code units, four to a block (two to
 * a 32-bit word), its last block padded with zeros. The lengths make the encoding of the pair
 * unambiguous (`a:b`+`c` and `a`+`b:c` differ). Keyed so that nobody outside the process can aim
 * nonces at one run of slots.
 */
function fingerprint(appId: string, nonce: string, seed1: number, seed2: number): void {
  let h1 = seed1 | 0;
  let h2 = seed2 | 0;
  // Block 0: the two lengths.
  let k1 = appId.length;
  let k2 = nonce.length;
  let text = appId;
  let n = text.length;
  let at = 0;
  let second = false;
  for (;;) {
    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    h1 ^= Math.imul(k1, C2);
    h1 = (h1 << 19) | (h1 >>> 13);
    h1 = (Math.imul(h1 + h2, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(k2, C2);
    k2 = (k2 << 16) | (k2 >>> 16);
    h2 ^= Math.imul(k2, C3);
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (Math.imul(h2 + h1, 5) + 0x0bcaa747) | 0;
    if (at >= n) {
      if (second) break;
      second = true;
      text = nonce;
      n = text.length;
      at = 0;
      if (n === 0) break;
    }
    if (at + 4 <= n) {
      k1 = text.charCodeAt(at) | (text.charCodeAt(at + 1) << 16);
      k2 = text.charCodeAt(at + 2) | (text.charCodeAt(at + 3) << 16);
    } else {
      // The last, partial block: missing units are zeros (the lengths tell them apart).
      k1 = text.charCodeAt(at) | (at + 1 < n ? text.charCodeAt(at + 1) << 16 : 0);
      k2 =
        at + 2 < n ? text.charCodeAt(at + 2) | (at + 3 < n ? text.charCodeAt(at + 3) << 16 : 0) : 0;
    }
    at += 4;
  }
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  fpHi = h1 >>> 0;
  fpLo = h2 >>> 0;
  // An all-zero slot means empty: the one fingerprint that would read as empty is moved aside.
  if (fpHi === 0 && fpLo === 0) fpLo = 1;
}

function randomSeed(): number {
  const words = new Uint32Array(1);
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } })
    .crypto;
  if (typeof c?.getRandomValues === 'function') {
    c.getRandomValues(words);
    return words[0]!;
  }
  // Without a CSPRNG the seed only spreads slots less unpredictably; correctness is unaffected.
  return (Math.random() * 0x1_0000_0000) >>> 0;
}

/**
 * One open-addressed table: a slice of the fingerprint space. The store allocates one buffer of
 * `maxBytes` on its first claim, each segment owns an equal region of it and uses a prefix
 * (`size` slots), growing in place. A buffer that large is mapped lazily by the system, so only
 * pages written to take memory, allocating costs no zero-filling, and growing leaves no discarded
 * tables behind for the garbage collector: memory never overshoots the budget.
 */
interface Segment {
  /**
   * Three words a slot, side by side so that a probe reads one cache line: the fingerprint's
   * high and low words, then the expiry in ms after `base`.
   */
  slots: Uint32Array;
  /** Whole ms; slot expiries are offsets from it, so 4 bytes hold them exactly. */
  base: number;
  /** Slots; any size (the home slot is found by multiplying, not masking). */
  size: number;
  /** Slots holding an entry, expired or not. */
  used: number;
  /** Where the incremental sweep resumes. */
  cursor: number;
  /** The latest expiry ever written here (absolute ms): from then on every entry has expired. */
  latest: number;
  /** After a refusal: the earliest expiry held, before which refusing needs no new sweep. */
  fullUntil: number;
}

function newSegment(slots: Uint32Array, now: number): Segment {
  const size = Math.min(INITIAL_SLOTS, slots.length / 3);
  // The region may hold a former segment's entries: the prefix in use starts empty.
  slots.fill(0, 0, size * 3);
  return {
    slots,
    base: Math.floor(now),
    size,
    used: 0,
    cursor: 0,
    latest: Number.NEGATIVE_INFINITY,
    fullUntil: Number.NEGATIVE_INFINITY,
  };
}

/** Per-app count for the deprecated `maxPerApp`: a binary min-heap of the expiries held. */
type ExpiryHeap = number[];

function heapPush(heap: ExpiryHeap, value: number): void {
  let i = heap.length;
  heap.push(value);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]! <= value) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = value;
}

function heapPopExpired(heap: ExpiryHeap, now: number): void {
  while (heap.length > 0 && heap[0]! <= now) {
    const last = heap.pop()!;
    if (heap.length === 0) break;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]! < heap[left]! ? right : left;
      if (heap[child]! >= last) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}

const NONE = -1;
const REPLAY = -2;

/** The home slot of a fingerprint's 21 home bits in a table of `size` slots (exact integers). */
function homeSlot(homeBits: number, size: number): number {
  return Math.floor((homeBits * size) / 2_097_152);
}

/**
 * In-process nonce store, namespaced per app id and bounded by a memory budget (`maxBytes`,
 * default 64 MiB): a claim is O(1) and never scans the store; past the budget, claims fail closed
 * with `nonce_store_full`. Good for one process; several processes need a shared store
 * (`@aura/redis`).
 */
export class MemoryNonceStore implements NonceStore {
  readonly #maxBytes: number;
  readonly #maxPerApp: number | undefined;
  readonly #now: () => number;
  // Drawn on the first claim, not in the constructor: Workers (workerd) refuse random values at
  // a module's global scope, which is where a Worker creates its store.
  #seed1 = 0;
  #seed2 = 0;
  #seeded = false;
  readonly #segmentBits: number;
  /** Slots each segment may grow to: its equal share of the budget. */
  readonly #segmentCapacity: number;
  #segments: (Segment | undefined)[];
  /** Every segment's region, then the scratch region; allocated on the first claim. */
  #table: Uint32Array | undefined;
  readonly #perApp = new Map<string, ExpiryHeap>();

  constructor(options: MemoryNonceStoreOptions = {}) {
    const maxBytes = options.maxBytes ?? DEFAULT_NONCE_STORE_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < MIN_BYTES) {
      throw new AuraError(
        'configuration',
        `MemoryNonceStore maxBytes must be an integer of at least ${MIN_BYTES}`,
      );
    }
    const maxPerApp = options.maxPerApp;
    if (maxPerApp !== undefined && (!Number.isSafeInteger(maxPerApp) || maxPerApp < 1)) {
      throw new AuraError('configuration', 'MemoryNonceStore maxPerApp must be a positive integer');
    }
    this.#maxBytes = maxBytes;
    this.#maxPerApp = maxPerApp;
    this.#now = options.now ?? Date.now;
    // One segment per 256 KiB of budget, up to 256: a small budget is not cut into slivers too
    // small to grow, a large one is rebuilt a small piece at a time.
    let bits = 0;
    while (bits < MAX_SEGMENT_BITS && maxBytes / 2 ** (bits + 1) >= 256 * 1024) bits++;
    this.#segmentBits = bits;
    this.#segments = new Array(2 ** bits);
    // The segments' shares, plus one share of scratch space for rebuilding.
    this.#segmentCapacity = Math.floor(maxBytes / (2 ** bits + 1) / SLOT_BYTES);
  }

  claim(appId: string, nonce: string, ttlMs: number): boolean {
    // A NaN or non-positive TTL would forget the nonce at once, i.e. allow its replay.
    if (typeof ttlMs !== 'number' || !(ttlMs > 0) || !(ttlMs <= MAX_TTL_MS)) {
      throw new AuraError(
        'configuration',
        `nonce TTL must be a positive number of ms, at most ${MAX_TTL_MS} (got ${ttlMs})`,
      );
    }
    if (typeof appId !== 'string' || typeof nonce !== 'string') {
      throw new AuraError('configuration', 'nonce store keys must be strings');
    }
    const now = this.#now();
    // A clock answering NaN would make every entry look expired: every replay would pass.
    if (typeof now !== 'number' || !Number.isFinite(now)) {
      throw new AuraError('configuration', 'the nonce store clock (now) did not answer a number');
    }
    if (!this.#seeded) {
      this.#seed1 = randomSeed();
      this.#seed2 = randomSeed();
      this.#seeded = true;
    }
    fingerprint(appId, nonce, this.#seed1, this.#seed2);
    const hi = fpHi;
    const lo = fpLo;
    const index = this.#segmentBits === 0 ? 0 : hi >>> (32 - this.#segmentBits);
    // The bits below the segment's pick the home slot.
    const homeBits = (hi << this.#segmentBits) >>> 11;
    const expiresAt = now + ttlMs;

    let segment = this.#segments[index];
    if (segment === undefined || (segment.used > 0 && now >= segment.latest)) {
      // Absent, or every entry in it has expired: started afresh, its memory given back.
      segment = newSegment(segment?.slots ?? this.#region(index), now);
      this.#segments[index] = segment;
    } else if (now < segment.base || expiresAt - segment.base > MAX_OFFSET) {
      // The clock went back, or the segment's base is ~49 days old: rebuilt on a new base.
      segment = this.#rebuild(index, segment, segment.size, now);
    }

    let slot = this.#probe(segment, hi, lo, homeBits, now);
    if (slot === REPLAY) return false;
    const appHeap = this.#maxPerApp === undefined ? undefined : this.#appRoom(appId, now);
    if (slot === NONE) {
      // No expired slot on the way: a new one is needed.
      if (segment.used + 1 > segment.size * GROW_LOAD) {
        const grown = this.#grow(index, segment, now);
        if (grown !== undefined) {
          segment = grown;
          slot = this.#probe(segment, hi, lo, homeBits, now);
        }
      }
      if (slot === NONE) {
        if (segment.used + 1 > segment.size * FULL_LOAD) this.#refuse(segment, now);
        slot = this.#emptySlotAfter(segment, homeBits);
        segment.used++;
      }
    }
    const at = slot * 3;
    segment.slots[at] = hi;
    segment.slots[at + 1] = lo;
    segment.slots[at + 2] = Math.ceil(expiresAt - segment.base);
    if (expiresAt > segment.latest) segment.latest = expiresAt;
    if (appHeap !== undefined) heapPush(appHeap, expiresAt);
    this.#sweep(segment, now, SWEEP_PER_CLAIM);
    return true;
  }

  /**
   * Looks for the fingerprint from its home slot to the first empty slot. `REPLAY` if it is held
   * unexpired; else the slot to write to if one is free on the way (the same fingerprint
   * expired, or any expired entry), or `NONE`.
   */
  #probe(segment: Segment, hi: number, lo: number, homeBits: number, now: number): number {
    const { size, slots } = segment;
    const elapsed = now - segment.base;
    let i = homeSlot(homeBits, size);
    let reusable = NONE;
    for (let steps = 0; steps < size; steps++) {
      const at = i * 3;
      const h = slots[at]!;
      const l = slots[at + 1]!;
      if (h === 0 && l === 0) return reusable;
      if (h === hi && l === lo) return slots[at + 2]! > elapsed ? REPLAY : i;
      if (reusable === NONE && slots[at + 2]! <= elapsed) reusable = i;
      i = i + 1 === size ? 0 : i + 1;
    }
    return reusable;
  }

  #emptySlotAfter(segment: Segment, homeBits: number): number {
    const { size, slots } = segment;
    let i = homeSlot(homeBits, size);
    while (slots[i * 3] !== 0 || slots[i * 3 + 1] !== 0) i = i + 1 === size ? 0 : i + 1;
    return i;
  }

  /** The deprecated per-app cap: that app's expiries, once room for one more is known. */
  #appRoom(appId: string, now: number): ExpiryHeap {
    let heap = this.#perApp.get(appId);
    if (heap === undefined) {
      heap = [];
      this.#perApp.set(appId, heap);
    }
    heapPopExpired(heap, now);
    if (heap.length >= this.#maxPerApp!) {
      throw new AuraError(
        'nonce_store_full',
        `nonce store holds ${this.#maxPerApp} unexpired nonces for app ${appId}; refusing rather than forgetting one`,
      );
    }
    return heap;
  }

  /**
   * The segment is as full as the budget lets it be: sweep all of it once (bounded by the
   * segment, not the store), and refuse if nothing expired. Until the earliest expiry then held,
   * further refusals cost nothing.
   */
  #refuse(segment: Segment, now: number): void {
    if (now >= segment.fullUntil) {
      this.#sweep(segment, now, segment.size);
      if (segment.used + 1 <= segment.size * FULL_LOAD) return;
      const { slots } = segment;
      let earliest = Number.POSITIVE_INFINITY;
      for (let at = 0; at < segment.size * 3; at += 3) {
        if ((slots[at] !== 0 || slots[at + 1] !== 0) && slots[at + 2]! < earliest) {
          earliest = slots[at + 2]!;
        }
      }
      segment.fullUntil = segment.base + earliest;
    }
    throw new AuraError(
      'nonce_store_full',
      `nonce store is full (maxBytes ${this.#maxBytes}); refusing rather than forgetting a nonce`,
    );
  }

  /**
   * Examines up to `budget` slots from the segment's cursor, deleting expired entries by
   * shifting later entries of the same run back (Knuth's algorithm R), so every entry stays
   * between its home slot and the next empty slot and no tombstones are left.
   */
  #sweep(segment: Segment, now: number, budget: number): void {
    const { size, slots } = segment;
    const elapsed = now - segment.base;
    let i = segment.cursor;
    for (let steps = 0; steps < budget && steps < size; steps++) {
      if (i >= size) i = 0;
      const at = i * 3;
      if ((slots[at] !== 0 || slots[at + 1] !== 0) && slots[at + 2]! <= elapsed) {
        this.#delete(segment, i);
        // A later entry may have moved into `i`: examine it again (it counts as a step).
        continue;
      }
      i++;
    }
    segment.cursor = i >= size ? 0 : i;
  }

  #delete(segment: Segment, at: number): void {
    const { size, slots } = segment;
    let hole = at;
    let j = at;
    for (;;) {
      j = j + 1 === size ? 0 : j + 1;
      const h = slots[j * 3]!;
      if (h === 0 && slots[j * 3 + 1] === 0) break;
      const home = homeSlot((h << this.#segmentBits) >>> 11, size);
      // The entry at j may move into the hole only if its home is not cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      slots[hole * 3] = h;
      slots[hole * 3 + 1] = slots[j * 3 + 1]!;
      slots[hole * 3 + 2] = slots[j * 3 + 2]!;
      hole = j;
    }
    slots[hole * 3] = 0;
    slots[hole * 3 + 1] = 0;
    slots[hole * 3 + 2] = 0;
    segment.used--;
  }

  /** The segment with more slots if its share of the budget allows, or `undefined`. */
  #grow(index: number, segment: Segment, now: number): Segment | undefined {
    // No room to grow: the segment fills to FULL_LOAD, then `#refuse` decides.
    if (segment.size >= this.#segmentCapacity) return undefined;
    return this.#rebuild(index, segment, Math.min(segment.size * 2, this.#segmentCapacity), now);
  }

  /**
   * The segment rehashed in place into `size` slots based at `now`, holding its unexpired
   * entries (a larger size, or a new base for expiry offsets).
   */
  #rebuild(_index: number, segment: Segment, size: number, now: number): Segment {
    const base = Math.floor(now);
    const shift = segment.base - base;
    const elapsed = now - segment.base;
    const { slots } = segment;
    // Entries wait in the scratch region (after the segments') while the prefix is rewritten.
    const kept3 = this.#region(this.#segments.length);
    let kept = 0;
    for (let at = 0; at < segment.size * 3; at += 3) {
      if ((slots[at] === 0 && slots[at + 1] === 0) || slots[at + 2]! <= elapsed) continue;
      const offset = slots[at + 2]! + shift;
      if (offset > MAX_OFFSET) {
        // Only a clock set back by weeks gets here: refuse rather than shorten a nonce's hold.
        throw new AuraError('configuration', 'the nonce store clock went back too far to rebase');
      }
      kept3[kept * 3] = slots[at]!;
      kept3[kept * 3 + 1] = slots[at + 1]!;
      kept3[kept * 3 + 2] = offset;
      kept++;
    }
    slots.fill(0, 0, size * 3);
    segment.size = size;
    segment.base = base;
    segment.used = kept;
    segment.cursor = 0;
    segment.fullUntil = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < kept * 3; k += 3) {
      const slot = this.#emptySlotAfter(segment, (kept3[k]! << this.#segmentBits) >>> 11);
      slots[slot * 3] = kept3[k]!;
      slots[slot * 3 + 1] = kept3[k + 1]!;
      slots[slot * 3 + 2] = kept3[k + 2]!;
    }
    return segment;
  }

  /** The region of segment `index` (or of the scratch space, after the last segment). */
  #region(index: number): Uint32Array {
    const words = this.#segmentCapacity * 3;
    this.#table ??= new Uint32Array((this.#segments.length + 1) * words);
    return this.#table.subarray(index * words, (index + 1) * words);
  }

  /** Unexpired nonces held, across app ids. Counts every slot: for tests and diagnostics. */
  get size(): number {
    const now = this.#now();
    let count = 0;
    for (const segment of this.#segments) {
      if (segment === undefined) continue;
      const elapsed = now - segment.base;
      const { slots } = segment;
      for (let at = 0; at < segment.size * 3; at += 3) {
        if ((slots[at] !== 0 || slots[at + 1] !== 0) && slots[at + 2]! > elapsed) count++;
      }
    }
    return count;
  }

  /**
   * Bytes of the store's buffer (at most `maxBytes`, allocated on the first claim), of which the
   * system backs only the pages written to.
   */
  get byteLength(): number {
    return this.#table?.byteLength ?? 0;
  }

  clear(): void {
    this.#segments = new Array(this.#segments.length);
    this.#table = undefined;
    this.#perApp.clear();
  }
}
