// Interleaved measurement: every round runs each task for a slice of time, one after the other,
// so that a change in the machine's load falls on all of them alike. Ratios are taken within a
// round and their median reported: on a shared machine they hold far better than ops/s.
//
// Time is the process's CPU time (all its threads: user + system), not the wall clock: on a
// machine shared with other work, a process waiting for a core would otherwise be charged for
// it. Work handed to other threads (WebCrypto's pool, the garbage collector) is still counted.

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Ops per CPU-second of `fn` (sync or async) over about `ms` milliseconds of CPU time. */
export async function rate(fn, ms, isAsync) {
  let ops = 0;
  const start = cpuMs();
  let elapsed = 0;
  do {
    if (isAsync) for (let i = 0; i < 32; i++) await fn();
    else for (let i = 0; i < 32; i++) fn();
    ops += 32;
    elapsed = cpuMs() - start;
  } while (elapsed < ms);
  return (ops * 1000) / elapsed;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * `tasks`: { name: { fn, async } }. Runs a warm-up round, then `rounds` rounds of `sliceMs` per
 * task. Answers each task's median ops/s and the rounds' raw figures.
 */
export async function interleave(tasks, { rounds = 7, sliceMs = 300, warmupMs = 200 } = {}) {
  const names = Object.keys(tasks);
  for (const name of names) {
    await tasks[name].before?.();
    await rate(tasks[name].fn, warmupMs, tasks[name].async);
  }
  const perRound = [];
  for (let r = 0; r < rounds; r++) {
    const round = {};
    // Alternate the order too, so that no task always runs right after the same one.
    const order = r % 2 ? [...names].reverse() : names;
    for (const name of order) {
      const { fn, async, before } = tasks[name];
      if (before) await before();
      round[name] = await rate(fn, sliceMs, async);
    }
    perRound.push(round);
  }
  const hz = Object.fromEntries(names.map((n) => [n, median(perRound.map((r) => r[n]))]));
  return { hz, perRound };
}

/** Median over rounds of a / b, and its range. */
export function ratio(perRound, a, b) {
  const values = perRound.map((r) => r[a] / r[b]);
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}
