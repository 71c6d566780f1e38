/**
 * The capture's public shapes: the options of `auraCapture(opts)` (docs/API.md, "Capture"), the
 * event every request becomes, and the neutral calls an adapter makes. No framework type and
 * no Node type appears here: the same recorder runs in the WebCrypto build for Workers.
 */

/** One captured request/response pair, redacted before it was queued. */
export interface CaptureEvent {
  /** A random id (UUID v4). */
  id: string;
  /** When the request arrived (ISO 8601). */
  time: string;
  method: string;
  /**
   * The path as received, without the query; credential-shaped values redacted, and so are the
   * segments the route template names with a sensitive parameter (`/patients/:patientId`).
   */
  path: string;
  /** The framework's route template (`/patients/:id`), or `null` when no route matched. */
  route: string | null;
  /** The status the client received (0 when the connection closed before an answer). */
  status: number;
  /** From the request's arrival to the response's last byte handed to the platform. */
  durationMs: number;
  request: {
    headers: Record<string, string | string[]>;
    query: Record<string, unknown>;
    /** Only with `bodies: true`; a marker string when the body was not kept (and why). */
    body?: unknown;
    /** Bytes received (or the declared `Content-Length` when the body was not read). */
    size: number;
  };
  response: {
    headers: Record<string, string | string[]>;
    body?: unknown;
    /** Bytes sent. */
    size: number;
  };
  /** The inbound caller the signature verifier accepted. */
  caller?: { appId: string };
  /** The application's user, when the adapter's `user(req)` option names one. */
  user?: { id: string };
}

/** What `stats()` answers. */
export interface CaptureStats {
  /** Events recorded (after sampling and `skip`). */
  captured: number;
  /** Events held in memory, waiting or being sent; never more than `maxQueue`. */
  queued: number;
  /** Events the sink accepted. */
  sent: number;
  /** Events let go: the queue or its memory budget was full, or the sink refused them for good. */
  dropped: number;
  /** Send attempts that failed (each retry of a batch counts again). */
  failedBatches: number;
}

/** Any function: called with one batch at a time; a rejection is retried with backoff. */
export type CaptureSinkFunction = (events: CaptureEvent[]) => Promise<void>;

/** A writable stream (Node `Writable`, `process.stdout`, a file stream): one JSON line per event. */
export interface CaptureWritable {
  write(chunk: string, callback?: (error?: Error | null) => void): boolean;
}

export interface CaptureRedactOptions {
  /** More header names to mask (case-insensitive), besides the defaults and the environment's. */
  headers?: readonly string[];
  /** More body and query field names to mask (compared without case, `-` or `_`). */
  fields?: readonly string[];
  /** More value patterns to mask wherever they stand in a string. */
  patterns?: readonly (RegExp | string)[];
  /**
   * Keep only these body and query fields: every other value is masked. The default
   * denylists still apply to the fields kept.
   */
  allowOnly?: readonly string[];
}

/** Where events go, besides `sink`. */
export interface CaptureLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface CaptureOptions<Req = CaptureRequestMeta> {
  /** A function, or a writable stream for NDJSON. Default: the HTTP collector (`url`, `key`). */
  sink?: CaptureSinkFunction | CaptureWritable;
  /** The collector's base URL (`…/capture`); default `AURA_CAPTURE_URL`. */
  url?: string;
  /** The collector key; default `AURA_CAPTURE_KEY`. Required with a URL. */
  key?: string;
  /** Keep request and response bodies (JSON and forms only, capped). Default `false`. */
  bodies?: boolean;
  /** Most bytes of a body kept; past it the body is not kept. Default 8192. */
  maxBodyBytes?: number;
  /** Most events held in memory; more are dropped (and counted). Default 10 000. */
  maxQueue?: number;
  /** Memory budget of the held events, in bytes of JSON. Default 16 MiB. */
  maxQueueBytes?: number;
  /** Most events in one batch. Default 500. */
  batchSize?: number;
  /** Most bytes of JSON in one batch (before gzip). Default 512 KiB. */
  maxBatchBytes?: number;
  /** How long an event may wait for a batch to fill. Default 2000 ms. */
  flushIntervalMs?: number;
  /** Deadline of one send. Default 10 000 ms. */
  timeoutMs?: number;
  redact?: CaptureRedactOptions;
  /** The share of requests captured, 0 to 1. Default 1. */
  sample?: number;
  /** Requests for which this answers true are not captured. */
  skip?: (req: Req) => boolean;
  /** Where `AURA_CAPTURE_*` are read; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Start-up and delivery messages; default `console`. */
  logger?: CaptureLogger;
  /**
   * Opt-in: on these signals (`true`: SIGTERM and SIGINT), deliver what is queued (within
   * `shutdownDeadlineMs`), then let the signal take its course. Off by default.
   */
  handleSignals?: boolean | readonly string[];
  /** Deadline of the shutdown on a signal. Default 5000 ms. */
  shutdownDeadlineMs?: number;
  /** The `fetch` the HTTP collector uses. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** The request as an adapter sees it at its start: no framework type. */
export interface CaptureRequestMeta {
  method: string | undefined;
  /** Raw request target: path + query (or absolute-form). */
  url: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/** What an adapter knows when the response is over. */
export interface CaptureEnd {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  route?: string | null;
  caller?: { appId: string } | undefined;
  user?: { id: string } | string | undefined;
}

/** One request being recorded. Every method is safe to call in any order, more than once. */
export interface CaptureHandle {
  /**
   * Bytes of the request body as they arrive (only counted unless bodies are kept). A number
   * counts bytes that passed without being handed over (the body is then not kept).
   */
  requestChunk(bytes: Uint8Array | number): void;
  /** The response headers, once known (decides whether the body may be kept). */
  responseHeaders(headers: CaptureEnd['headers']): void;
  /** Bytes of the response body as they are sent. */
  responseChunk(bytes: Uint8Array | number): void;
  /** Ends the record and queues the event; later calls do nothing. */
  end(end: CaptureEnd): void;
}

/** What an adapter's `auraCapture(opts)` value carries besides being middleware. */
export interface CaptureControls {
  /** Sends everything queued now; resolves when the queue is empty or a send failed. */
  flush(): Promise<void>;
  /** Stops capturing, delivers what is queued within the deadline (default 5000 ms). */
  shutdown(deadlineMs?: number): Promise<void>;
  stats(): CaptureStats;
}

/** The project the collector key belongs to (from the start-up authentication). */
export interface CaptureProject {
  id: string;
  name: string;
  description?: string;
}
