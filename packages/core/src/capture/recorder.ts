/**
 * The capture recorder: adapters call `begin()` when a request arrives, feed the body bytes as
 * they stream, and `end()` when the response is over. On the request path a recording only
 * copies the exchange's facts; the finished recordings wait (bounded by count and by the bytes
 * they hold, with a drop counter) for a drain that runs once per turn of the event loop, off
 * the request path, and writes each as its redacted JSON line into the queue (bounded the same
 * way), which is sent in batches on an unref'd timer. Nothing unredacted is ever queued for
 * delivery, sent or logged. Nothing here throws into the host: every callback catches its own
 * errors.
 */
import { AuraError } from '../errors';
import { collectorDelivery, type Delivery, functionDelivery, ndjsonDelivery } from './delivery';
import { now, Recording, type RecordingShared } from './recording';
import { type CaptureRedactor, createRedactor, REDACTED, sensitiveHeadersFromEnv } from './redact';
import type {
  CaptureControls,
  CaptureHandle,
  CaptureLogger,
  CaptureOptions,
  CaptureProject,
  CaptureRequestMeta,
  CaptureStats,
} from './types';

export const CAPTURE_DEFAULTS = {
  maxBodyBytes: 8192,
  maxQueue: 10_000,
  maxQueueBytes: 16 * 1024 * 1024,
  batchSize: 500,
  // The sandbox collector takes at most 1 MiB of JSON per batch; stay well below.
  maxBatchBytes: 512 * 1024,
  flushIntervalMs: 2000,
  timeoutMs: 10_000,
  shutdownDeadlineMs: 5000,
  retryBaseMs: 1000,
  retryMaxMs: 60_000,
  pauseMs: 60_000,
} as const;

/** The variables the capture reads. */
export const CAPTURE_ENV_VARIABLES = [
  'AURA_CAPTURE_URL',
  'AURA_CAPTURE_KEY',
  'AURA_CAPTURE_SENSITIVE_HEADERS',
] as const;

/** Advanced timings, for tests and unusual collectors. */
export interface CaptureRetryOptions {
  /** First retry delay (doubled each time, with jitter). Default 1000 ms. */
  retryBaseMs?: number;
  /** Longest retry delay. Default 60 000 ms. */
  retryMaxMs?: number;
  /** How long delivery pauses after the collector refused the key (401/403). Default 60 000 ms. */
  pauseMs?: number;
}

export interface CaptureRecorder<Req = CaptureRequestMeta> extends CaptureControls {
  /** A handle for one request, or `undefined` when it is not captured (sampled out, skipped, shut down). */
  begin(meta: CaptureRequestMeta, req?: Req): CaptureHandle | undefined;
  /** Settles when the start-up check is over: the collector's project, when there is one. Never rejects. */
  ready(): Promise<CaptureProject | undefined>;
  /**
   * Whether bodies are kept: only then does a handle need the response headers before the end
   * (they decide whether the body may be copied), so a tee can skip reading them early.
   */
  readonly bodies: boolean;
}

interface Queued {
  line: string;
  bytes: number;
}

const consoleLogger: CaptureLogger = {
  info: (message) => console.info(message),
  warn: (message) => console.warn(message),
};

function processEnv(): Record<string, string | undefined> {
  return (
    (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {}
  );
}

function unref(timer: ReturnType<typeof setTimeout>): ReturnType<typeof setTimeout> {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/** Runs `task` on the next turn of the event loop (`setImmediate` where there is one). */
const nextTurn: (task: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (task) => {
        (globalThis as unknown as { setImmediate(task: () => void): unknown }).setImmediate(task);
      }
    : (task) => {
        setTimeout(task, 0);
      };

/**
 * What a caught error may say in a log line: its kind, never its message. A message can quote
 * what was being read (a header, a body), and logs are outside the redaction.
 */
function errorKind(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} ${code}` : error.name;
  }
  return typeof error;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Node's (and Bun's, Deno's) native count, when there is a `Buffer`: a tenth of a scan's cost. */
const nativeByteLength = (
  globalThis as { Buffer?: { byteLength?: (text: string, encoding: 'utf8') => number } }
).Buffer?.byteLength;

/** UTF-8 length of a string without encoding it (a native scan first: JSON is mostly ASCII). */
function utf8Length(text: string): number {
  if (nativeByteLength !== undefined) return nativeByteLength(text, 'utf8');
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new AuraError('configuration', `capture option ${name} must be a positive integer`, {
      details: { option: name },
    });
  }
  return value;
}

function configError(message: string, details: Record<string, unknown>): AuraError {
  return new AuraError('configuration', message, { details });
}

/** The sink from the options and the environment; a URL without a key fails here, naming it. */
function chooseDelivery(
  options: CaptureOptions<unknown>,
  env: Record<string, string | undefined>,
  timeoutMs: number,
  logger: CaptureLogger,
): Delivery {
  const sink = options.sink;
  if (typeof sink === 'function') return functionDelivery(sink);
  if (sink !== undefined) {
    if (typeof (sink as { write?: unknown }).write !== 'function') {
      throw configError('capture option sink must be a function or a writable stream', {
        option: 'sink',
      });
    }
    return ndjsonDelivery(sink);
  }
  const read = (value: string | undefined) =>
    value !== undefined && value.trim() !== '' ? value.trim() : undefined;
  const url = read(options.url) ?? read(env.AURA_CAPTURE_URL);
  const key = read(options.key) ?? read(env.AURA_CAPTURE_KEY);
  if (url === undefined) {
    throw configError(
      'capture has nowhere to send events: set AURA_CAPTURE_URL (and AURA_CAPTURE_KEY), or pass url and key, or a sink',
      { missing: ['AURA_CAPTURE_URL'] },
    );
  }
  if (key === undefined) {
    throw configError(
      'AURA_CAPTURE_KEY is missing: the collector at AURA_CAPTURE_URL needs its key; e.g. AURA_CAPTURE_KEY=aura_ck_…',
      { missing: ['AURA_CAPTURE_KEY'] },
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw configError(
      'AURA_CAPTURE_URL is not a URL; e.g. AURA_CAPTURE_URL=https://collector.example/capture',
      {
        invalid: ['AURA_CAPTURE_URL'],
      },
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw configError('AURA_CAPTURE_URL must be an http(s) URL', { invalid: ['AURA_CAPTURE_URL'] });
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') {
    throw configError('capture needs fetch (Node 18+) to reach the collector', { option: 'fetch' });
  }
  return collectorDelivery({ url: parsed.href, key, timeoutMs, logger, fetch: fetchImpl });
}

/**
 * Builds the recorder. Everything that can be wrong with the options fails here, at start-up,
 * with a `configuration` error naming the option or variable.
 */
export function createCaptureRecorder<Req = CaptureRequestMeta>(
  options: CaptureOptions<Req> & CaptureRetryOptions = {},
): CaptureRecorder<Req> {
  const env = options.env ?? processEnv();
  const logger = options.logger ?? consoleLogger;
  const maxBodyBytes = positiveInteger(
    'maxBodyBytes',
    options.maxBodyBytes,
    CAPTURE_DEFAULTS.maxBodyBytes,
  );
  const maxQueue = positiveInteger('maxQueue', options.maxQueue, CAPTURE_DEFAULTS.maxQueue);
  const maxQueueBytes = positiveInteger(
    'maxQueueBytes',
    options.maxQueueBytes,
    CAPTURE_DEFAULTS.maxQueueBytes,
  );
  const batchSize = positiveInteger('batchSize', options.batchSize, CAPTURE_DEFAULTS.batchSize);
  const maxBatchBytes = positiveInteger(
    'maxBatchBytes',
    options.maxBatchBytes,
    CAPTURE_DEFAULTS.maxBatchBytes,
  );
  const flushIntervalMs = positiveInteger(
    'flushIntervalMs',
    options.flushIntervalMs,
    CAPTURE_DEFAULTS.flushIntervalMs,
  );
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs, CAPTURE_DEFAULTS.timeoutMs);
  const retryBaseMs = positiveInteger(
    'retryBaseMs',
    options.retryBaseMs,
    CAPTURE_DEFAULTS.retryBaseMs,
  );
  const retryMaxMs = positiveInteger('retryMaxMs', options.retryMaxMs, CAPTURE_DEFAULTS.retryMaxMs);
  const pauseMs = positiveInteger('pauseMs', options.pauseMs, CAPTURE_DEFAULTS.pauseMs);
  const shutdownDeadlineMs = positiveInteger(
    'shutdownDeadlineMs',
    options.shutdownDeadlineMs,
    CAPTURE_DEFAULTS.shutdownDeadlineMs,
  );
  const sample = options.sample ?? 1;
  if (typeof sample !== 'number' || !(sample >= 0 && sample <= 1)) {
    throw configError('capture option sample must be a number from 0 to 1', { option: 'sample' });
  }
  if (options.skip !== undefined && typeof options.skip !== 'function') {
    throw configError('capture option skip must be a function', { option: 'skip' });
  }
  const bodies = options.bodies === true;
  const redactor: CaptureRedactor = createRedactor(
    options.redact,
    sensitiveHeadersFromEnv(env.AURA_CAPTURE_SENSITIVE_HEADERS),
  );
  const delivery = chooseDelivery(options as CaptureOptions<unknown>, env, timeoutMs, logger);

  const counts = { captured: 0, sent: 0, dropped: 0, failedBatches: 0 };
  const queue: Queued[] = [];
  let queueBytes = 0;
  /** Finished recordings, not yet redacted, waiting for the drain (a turn of the loop at most). */
  let finished: Recording[] = [];
  /** The bytes they hold, as their recordings counted them. */
  let finishedBytes = 0;
  let drainScheduled = false;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  /** No automatic send before this time (backoff, `Retry-After`, a pause). */
  let blockedUntil = 0;
  let attempt = 0;
  let inFlight: Promise<boolean> | undefined;
  let lastWarning = '';
  /** Most events a batch may hold after the collector answered 413 (halved each time). */
  let splitLimit = Number.POSITIVE_INFINITY;

  const warn = (message: string) => {
    // One line per kind of trouble, not one per retry.
    if (message === lastWarning) return;
    lastWarning = message;
    try {
      logger.warn(`aura capture: ${message}`);
    } catch {
      // A logger that throws must not take the host down.
    }
  };

  // ---- the queue ------------------------------------------------------------------------

  /**
   * A recording is over: kept for the drain if the queue's bounds leave room for it (the
   * finished recordings count against `maxQueue` and `maxQueueBytes` with the queued lines),
   * else dropped, counted, and let go without ever being written.
   */
  const finish = (recording: Recording, bytes: number): void => {
    counts.captured++;
    if (
      queue.length + finished.length >= maxQueue ||
      queueBytes + finishedBytes + bytes > maxQueueBytes
    ) {
      counts.dropped++;
      return;
    }
    finished.push(recording);
    finishedBytes += bytes;
    if (!drainScheduled) {
      drainScheduled = true;
      nextTurn(drain);
    }
  };

  /**
   * Writes every finished recording as its redacted JSON line into the queue. Runs on the turn
   * after the requests ended, and first thing in a send, `flush()` and `shutdown()`, so the
   * queue is always complete when it is read.
   */
  function drain(): void {
    drainScheduled = false;
    if (finished.length === 0) return;
    const recordings = finished;
    finished = [];
    finishedBytes = 0;
    for (const recording of recordings) {
      let line: string;
      try {
        line = recording.line();
      } catch (error) {
        counts.dropped++;
        warn(`an event could not be recorded (${errorKind(error)}); it was dropped`);
        continue;
      }
      enqueue(line);
    }
  }

  const enqueue = (line: string): void => {
    const bytes = utf8Length(line);
    if (queue.length >= maxQueue || queueBytes + bytes > maxQueueBytes || bytes > maxBatchBytes) {
      counts.dropped++;
      return;
    }
    queue.push({ line, bytes });
    queueBytes += bytes;
    const full = queue.length >= batchSize || queueBytes >= maxBatchBytes;
    schedule(full ? 0 : flushIntervalMs);
  };

  /** The head of the queue, cut by count and bytes (always at least one event). */
  const nextBatch = (): Queued[] => {
    let bytes = 0;
    let count = 0;
    while (count < queue.length && count < Math.min(batchSize, splitLimit)) {
      const item = queue[count]!;
      if (count > 0 && bytes + item.bytes + 1 > maxBatchBytes) break;
      bytes += item.bytes + 1;
      count++;
    }
    return queue.slice(0, count);
  };

  const remove = (count: number): void => {
    for (const item of queue.splice(0, count)) queueBytes -= item.bytes;
  };

  const delayAfterFailure = (retryAfter: number | undefined): number => {
    const exponential = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempt, 30));
    // Equal jitter (a random point in the upper half): many processes never retry in step.
    const jittered = exponential / 2 + Math.random() * (exponential / 2);
    if (retryAfter === undefined) return jittered;
    return retryAfter + Math.random() * Math.min(1000, retryAfter / 10);
  };

  /**
   * Sends one batch from the head of the queue; answers whether it was delivered. One batch is
   * in flight at a time, so the queue's order is the collector's order.
   */
  const sendOne = (deadlineMs = timeoutMs): Promise<boolean> => {
    if (inFlight !== undefined) return inFlight;
    const batch = nextBatch();
    if (batch.length === 0) return Promise.resolve(true);
    const current = delivery
      .send(
        batch.map((item) => item.line),
        Math.max(1, Math.min(timeoutMs, deadlineMs)),
      )
      .then((result) => {
        if (result.ok) {
          remove(batch.length);
          counts.sent += batch.length;
          attempt = 0;
          blockedUntil = 0;
          lastWarning = '';
          return true;
        }
        counts.failedBatches++;
        if (result.next === 'split' && batch.length > 1) {
          // Too large for this collector: the same events again, in halves, at once.
          splitLimit = Math.ceil(batch.length / 2);
          warn(`${result.message}; batches are now cut at ${splitLimit} events`);
          return false;
        }
        if (result.next === 'drop' || result.next === 'split') {
          remove(batch.length);
          counts.dropped += batch.length;
          warn(`${result.message}; ${batch.length} events will never be accepted and were dropped`);
          return false;
        }
        if (result.next === 'pause') {
          blockedUntil = now() + pauseMs;
          warn(`${result.message}: the key was refused; delivery pauses for ${pauseMs} ms`);
          return false;
        }
        blockedUntil = now() + delayAfterFailure(result.retryAfterMs);
        attempt++;
        warn(`${result.message}; retrying with backoff`);
        return false;
      })
      .catch((error: unknown) => {
        // A delivery never rejects; if one does, the batch stays and is retried.
        counts.failedBatches++;
        attempt++;
        blockedUntil = now() + delayAfterFailure(undefined);
        warn(`sending failed: ${String(error)}`);
        return false;
      })
      .finally(() => {
        inFlight = undefined;
      });
    inFlight = current;
    return current;
  };

  /** Arms the one timer to fire in `ms` (or when the backoff ends, if later). */
  function schedule(ms: number): void {
    if (closed || queue.length === 0) return;
    const at = Math.max(now() + ms, blockedUntil);
    if (timer !== undefined && timerAt <= at) return;
    if (timer !== undefined) clearTimeout(timer);
    timerAt = at;
    timer = unref(setTimeout(tick, Math.max(0, at - now())));
  }

  function tick(): void {
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    try {
      if (closed) return;
      drain();
      if (inFlight !== undefined) {
        // Come back once the batch in flight is over.
        void inFlight.then(
          () => schedule(0),
          () => schedule(0),
        );
        return;
      }
      if (now() < blockedUntil) {
        schedule(0);
        return;
      }
      void sendOne().then(
        (delivered) => {
          if (queue.length === 0) return;
          const full = queue.length >= batchSize || queueBytes >= maxBatchBytes;
          schedule(delivered ? (full ? 0 : flushIntervalMs) : 0);
        },
        () => schedule(0),
      );
    } catch (error) {
      warn(`the send timer failed: ${String(error)}`);
    }
  }

  // ---- requests -------------------------------------------------------------------------

  const shared: RecordingShared = {
    bodies,
    maxBodyBytes,
    redactor,
    finished: finish,
    failed: (error) => {
      counts.captured++;
      counts.dropped++;
      warn(`an event could not be recorded (${errorKind(error)}); it was dropped`);
    },
  };

  const begin = (meta: CaptureRequestMeta, req?: Req): CaptureHandle | undefined => {
    try {
      if (closed) return undefined;
      if (sample < 1 && Math.random() >= sample) return undefined;
      if (options.skip !== undefined) {
        try {
          if (options.skip((req ?? meta) as Req)) return undefined;
        } catch (error) {
          warn(`skip() threw (${errorKind(error)}); the request is captured`);
        }
      }
      return new Recording(shared, meta);
    } catch (error) {
      warn(`a request could not be captured (${errorKind(error)})`);
      return undefined;
    }
  };

  // ---- flush, shutdown, signals ---------------------------------------------------------

  const flush = async (): Promise<void> => {
    try {
      drain();
      if (inFlight !== undefined) await inFlight;
      while (queue.length > 0) {
        if (!(await sendOne())) break;
      }
    } catch (error) {
      warn(`flush failed: ${String(error)}`);
    } finally {
      if (queue.length > 0) schedule(flushIntervalMs);
    }
  };

  const signalHandlers = new Map<string, () => void>();
  let shuttingDown: Promise<void> | undefined;

  const shutdown = (deadlineMs = shutdownDeadlineMs): Promise<void> => {
    if (shuttingDown !== undefined) return shuttingDown;
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    removeSignalHandlers();
    drain();
    const deadline = now() + Math.max(0, deadlineMs);
    shuttingDown = (async () => {
      try {
        while (queue.length > 0) {
          const left = deadline - now();
          if (left <= 0) break;
          if (inFlight !== undefined) {
            await waitAtMost(inFlight, left);
            continue;
          }
          const wait = blockedUntil - now();
          if (wait > 0) {
            // A `Retry-After` or backoff past the deadline: nothing more can be delivered.
            if (wait >= left) break;
            await waitAtMost(undefined, wait);
            continue;
          }
          await sendOne(left);
        }
      } catch (error) {
        warn(`shutdown failed: ${String(error)}`);
      }
      if (queue.length > 0) {
        warn(`shutdown deadline: ${queue.length} events were not delivered`);
        counts.dropped += queue.length;
        remove(queue.length);
      }
    })();
    return shuttingDown;
  };

  function removeSignalHandlers(): void {
    const proc = nodeProcess();
    for (const [signal, handler] of signalHandlers) proc?.removeListener(signal, handler);
    signalHandlers.clear();
  }

  if (options.handleSignals !== undefined && options.handleSignals !== false) {
    const proc = nodeProcess();
    const signals =
      options.handleSignals === true ? ['SIGTERM', 'SIGINT'] : [...options.handleSignals];
    for (const signal of proc === undefined ? [] : signals) {
      const handler = () => {
        void shutdown(shutdownDeadlineMs).finally(() => {
          // Our listener is gone; if no one else listens, the signal's default (exit) happens.
          if (proc!.listenerCount(signal) === 0) proc!.kill(proc!.pid, signal);
        });
      };
      signalHandlers.set(signal, handler);
      proc!.once(signal, handler);
    }
  }

  return {
    begin,
    bodies,
    ready: () => delivery.ready().catch(() => undefined),
    flush,
    shutdown,
    stats: (): CaptureStats => ({ ...counts, queued: queue.length + finished.length }),
  };
}

interface NodeProcessLike {
  pid: number;
  once(signal: string, handler: () => void): unknown;
  removeListener(signal: string, handler: () => void): unknown;
  listenerCount(signal: string): number;
  kill(pid: number, signal: string): unknown;
}

function nodeProcess(): NodeProcessLike | undefined {
  const proc = (globalThis as { process?: Partial<NodeProcessLike> }).process;
  return typeof proc?.once === 'function' && typeof proc.kill === 'function'
    ? (proc as NodeProcessLike)
    : undefined;
}

/**
 * Waits for `promise` (or nothing) at most `ms`. The timer is not unref'd: a shutdown the host
 * awaits keeps the process alive until it is over (and never past its deadline).
 */
async function waitAtMost(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await (promise === undefined
      ? elapsed
      : Promise.race([promise.then(() => undefined), elapsed]));
  } finally {
    clearTimeout(timer);
  }
}

export { REDACTED };
