/**
 * The child side of the memory scenario: mounts the adapter's capture app, then measures its
 * own memory while the parent uploads 50 MB through it. Talks to the parent over IPC only.
 */
import type { CaptureEvent } from '@aura/core';
import type { CaptureMount } from './capture-mount';

type Sample = { rss: number; heap: number; buffers: number };

function sample(): Sample {
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed, buffers: usage.arrayBuffers };
}

function settle(): Sample {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return sample();
}

export async function runMemoryChild(mount: CaptureMount): Promise<void> {
  const send = (message: unknown) => process.send?.(message);
  const events: CaptureEvent[] = [];
  const mounted = await mount({
    capture: {
      sink: async (batch) => {
        events.push(...batch);
      },
      bodies: true,
      flushIntervalMs: 20,
      logger: { info: () => {}, warn: () => {} },
    },
    verify: { secrets: { unused: 'unused-secret-0123456789' } },
  });
  let peak: Sample = sample();
  let sampler: ReturnType<typeof setInterval> | undefined;
  let before: Sample = peak;

  process.on('message', (message: { type: string; mark?: string }) => {
    if (message.type === 'warm') {
      before = settle();
      peak = { ...before };
      // Peaks while the upload streams, without forcing a collection in between.
      sampler = setInterval(() => {
        const now = sample();
        peak = {
          rss: Math.max(peak.rss, now.rss),
          heap: Math.max(peak.heap, now.heap),
          buffers: Math.max(peak.buffers, now.buffers),
        };
      }, 5);
      send({ type: 'ready' });
    } else if (message.type === 'measure') {
      clearInterval(sampler);
      const find = () => events.find((e) => e.request.headers['x-capture-mark'] === message.mark);
      const wait = setInterval(() => {
        const event = find();
        if (event === undefined) return;
        clearInterval(wait);
        const after = settle();
        send({ type: 'measured', before, peak, after, event });
      }, 10);
    } else if (message.type === 'close') {
      void mounted.close().finally(() => process.exit(0));
    }
  });
  send({ type: 'listening', url: mounted.url });
}
