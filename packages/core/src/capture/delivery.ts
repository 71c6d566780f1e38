/**
 * The three sinks behind one shape: a function, a writable stream (NDJSON), or the HTTP
 * collector (`AURA_CAPTURE_URL` + `AURA_CAPTURE_KEY`, gzip batches, authenticated at start-up).
 * A delivery answers what happened and never throws; every wait on something outside the
 * process has a deadline.
 */
import type {
  CaptureEvent,
  CaptureLogger,
  CaptureProject,
  CaptureSinkFunction,
  CaptureWritable,
} from './types';

/** What one attempt came to, for the queue to decide: remove, retry later, or pause. */
export type DeliveryResult =
  | { ok: true }
  | {
      ok: false;
      /**
       * `retry`: try the same batch again later; `split`: too large for the collector, send it
       * in smaller batches; `drop`: it will never be accepted; `pause`: the key was refused.
       */
      next: 'retry' | 'split' | 'drop' | 'pause';
      /** The collector's `Retry-After`, in ms. */
      retryAfterMs?: number;
      message: string;
    };

export interface Delivery {
  /** `lines`: the events, each already JSON. */
  send(lines: readonly string[], timeoutMs: number): Promise<DeliveryResult>;
  /** Settles when the start-up check is over (the collector's project, when there is one). */
  ready(): Promise<CaptureProject | undefined>;
}

const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** A promise with a deadline: `undefined` when the deadline came first. Timers never hold the process. */
async function within<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
    (timer as { unref?: () => void }).unref?.();
  });
  try {
    return await Promise.race([promise.then((value) => ({ value })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Any function `sink(events) → Promise<void>`: a rejection or the deadline is retried. */
export function functionDelivery(sink: CaptureSinkFunction): Delivery {
  return {
    async send(lines, timeoutMs) {
      try {
        // Each call gets its own copies: the sink may keep or change them.
        // One parse for the batch: cheaper than one per event.
        const events = JSON.parse(`[${lines.join(',')}]`) as CaptureEvent[];
        const done = await within(
          Promise.resolve().then(() => sink(events)),
          timeoutMs,
        );
        if (done === undefined) {
          return {
            ok: false,
            next: 'retry',
            message: `the sink did not settle in ${timeoutMs} ms`,
          };
        }
        return { ok: true };
      } catch (error) {
        return { ok: false, next: 'retry', message: `the sink failed: ${describe(error)}` };
      }
    },
    ready: () => Promise.resolve(undefined),
  };
}

/** One JSON line per event to a writable stream; a write error or the deadline is retried. */
export function ndjsonDelivery(stream: CaptureWritable): Delivery {
  return {
    async send(lines, timeoutMs) {
      try {
        const written = new Promise<void>((resolve, reject) => {
          stream.write(`${lines.join('\n')}\n`, (error) => (error ? reject(error) : resolve()));
        });
        const done = await within(written, timeoutMs);
        if (done === undefined) {
          return {
            ok: false,
            next: 'retry',
            message: `the stream did not drain in ${timeoutMs} ms`,
          };
        }
        return { ok: true };
      } catch (error) {
        return { ok: false, next: 'retry', message: `the stream failed: ${describe(error)}` };
      }
    },
    ready: () => Promise.resolve(undefined),
  };
}

interface NodeZlib {
  gzip(
    text: string,
    options: { level: number },
    callback: (error: Error | null, result: Uint8Array) => void,
  ): void;
}

/**
 * Node's zlib when the platform has it (looked up at run time, so the core keeps no `node:`
 * import for the web build): at level 1 a batch of events costs about a third of the CPU of
 * `CompressionStream` (level 6 behind web streams) for nearly the same size, and it runs on
 * libuv's pool, off the event loop.
 */
const nodeZlib: NodeZlib | undefined = (() => {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    const zlib = proc?.getBuiltinModule?.('node:zlib') as Partial<NodeZlib> | undefined;
    return typeof zlib?.gzip === 'function' ? (zlib as NodeZlib) : undefined;
  } catch {
    return undefined;
  }
})();

/** `text` gzipped: Node's zlib at level 1, else `CompressionStream` (Workers, Deno, browsers). */
export async function gzip(text: string): Promise<Uint8Array> {
  if (nodeZlib !== undefined) {
    const zlib = nodeZlib;
    return new Promise((resolve, reject) => {
      zlib.gzip(text, { level: 1 }, (error, result) => (error ? reject(error) : resolve(result)));
    });
  }
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** `Retry-After` as ms: seconds or an HTTP date; `undefined` when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}

/** Reads the project from the collector's answer (`{ project }` or otas's `{ Response: { project } }`). */
function projectFrom(body: unknown): CaptureProject | undefined {
  const record = body as { project?: unknown; Response?: { project?: unknown } } | null;
  const project = (record?.project ?? record?.Response?.project) as
    | Record<string, unknown>
    | undefined;
  if (project === undefined || project === null || typeof project !== 'object') return undefined;
  if (typeof project.id !== 'string' || typeof project.name !== 'string') return undefined;
  return {
    id: project.id,
    name: project.name,
    ...(typeof project.description === 'string' ? { description: project.description } : {}),
  };
}

export interface CollectorOptions {
  /** The collector's base URL, e.g. `http://127.0.0.1:4010/capture`. */
  url: string;
  key: string;
  timeoutMs: number;
  logger: CaptureLogger;
  fetch: typeof fetch;
}

/**
 * The HTTP collector: `POST <url>/v1/auth` once at start-up (the project it reports to is
 * logged; a refused key pauses delivery), then `POST <url>/v1/batches` with gzip JSON
 * `{ events }`. 2xx: delivered; 401/403: pause; 413: split the batch; 408, 425, 429, 5xx and
 * network errors: retry (honouring `Retry-After`); any other 4xx: never accepted.
 */
export function collectorDelivery(options: CollectorOptions): Delivery {
  const base = options.url.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${options.key}` };

  const authenticate = async (): Promise<CaptureProject | undefined> => {
    try {
      const response = await options.fetch(`${base}/v1/auth`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: '{}',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const body = (await response.json().catch(() => undefined)) as unknown;
      if (response.status === 401 || response.status === 403) {
        options.logger.warn(
          `aura capture: the collector at ${base} refused AURA_CAPTURE_KEY (${response.status}); events are kept in memory (bounded) and not sent`,
        );
        return undefined;
      }
      const project = response.ok ? projectFrom(body) : undefined;
      if (project === undefined) {
        options.logger.warn(
          `aura capture: the collector at ${base} answered ${response.status} to the start-up authentication; sending anyway`,
        );
        return undefined;
      }
      options.logger.info(
        `aura capture: reporting to project "${project.name}" (${project.id}) at ${base}`,
      );
      return project;
    } catch (error) {
      options.logger.warn(
        `aura capture: the collector at ${base} is not reachable yet (${describe(error)}); events are kept in memory (bounded) and retried`,
      );
      return undefined;
    }
  };
  const started = authenticate();

  return {
    ready: () => started,
    async send(lines, timeoutMs) {
      // The start-up check first (it has its own deadline), so its message comes first.
      await started;
      try {
        const body = await gzip(`{"events":[${lines.join(',')}]}`);
        const response = await options.fetch(`${base}/v1/batches`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        // The answer is small; read it so the connection is free again.
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return { ok: true };
        const message = `the collector answered ${response.status}`;
        if (response.status === 401 || response.status === 403) {
          return { ok: false, next: 'pause', message };
        }
        const retryable = [408, 425, 429].includes(response.status) || response.status >= 500;
        if (response.status === 413) return { ok: false, next: 'split', message };
        if (!retryable) return { ok: false, next: 'drop', message };
        const wait = retryAfterMs(response.headers.get('retry-after'));
        return {
          ok: false,
          next: 'retry',
          message,
          ...(wait === undefined ? {} : { retryAfterMs: wait }),
        };
      } catch (error) {
        return {
          ok: false,
          next: 'retry',
          message: `the collector is unreachable: ${describe(error)}`,
        };
      }
    },
  };
}
