import { AURA_SCOPES } from '@aura/core';
/** One set of development credentials the sandbox accepts. */
export interface SandboxApp {
  appId: string;
  appSecret: string;
  apiKey: string;
}

/** The endpoint groups Aura rate-limits separately, per app id. */
export type RateLimitGroup = 'exchange' | 'config' | 'lifecycle';

/** Calls allowed per minute, per app id, for each group. */
export type RateLimits = Record<RateLimitGroup, number>;

/** The scopes the sandbox grants: Aura's own, from @aura/core. */
export const SCOPES = AURA_SCOPES;
export type Scope = (typeof AURA_SCOPES)[number];

export interface SandboxOptions {
  /** Port to listen on; `0` (the default) picks a free one. */
  port?: number;
  /**
   * Address to bind (default `127.0.0.1`). A non-loopback address is used only because it was
   * asked for explicitly, and a warning says so.
   */
  host?: string;
  /** Credentials accepted (default: app `aura_pk_sandbox`, secret `aura_sk_sandbox`, key `aura_au_sandbox`). */
  apps?: SandboxApp[];
  /** Origins answered with CORS headers (`*` for any). Others get none, and no control. */
  cors?: string[];
  /**
   * Host names the `/_sandbox/` controls answer to besides loopback names and `host` (say, a
   * container's service name). Any other `Host` is refused, which stops DNS rebinding.
   */
  allowedHosts?: string[];
  /** Per-minute limits per app id (default exchange 10, config 30, lifecycle 60). */
  rateLimits?: Partial<RateLimits>;
  /** Folder for tus uploads (kept on close); default a temporary folder removed on close. */
  dataDir?: string;
  /** Accepted clock difference for signed calls, in seconds (default 300). */
  skewSeconds?: number;
  /** Capture collector keys → project; default `aura_ck_sandbox` → project `sandbox`. */
  captureKeys?: Record<string, { id: string; name: string; description?: string }>;
  /** Largest tus upload accepted, in bytes (default 1 GiB). */
  maxUploadBytes?: number;
  /** Entries kept in the request log (default 1000; the oldest go first). */
  logLimit?: number;
  /** Clock in milliseconds (default `Date.now`); tests move it to expire tokens or windows. */
  now?: () => number;
  /** Where warnings go (default `console.warn`), and errors raised while answering a request. */
  onWarning?: (message: string) => void;
  /**
   * Refuse (409 `invalid_state`) what is otherwise accepted with a warning on the upload: tus data
   * for an upload not yet started, and `complete` while a file has not finished (or none came).
   * Default `false`: the vendor's own widget does both.
   */
  strictUploads?: boolean;
  /** Time a client has to send the request headers, in ms (default 10 000). */
  headersTimeoutMs?: number;
  /** Time a client has to send the whole request, body included, in ms (default 60 000). */
  requestTimeoutMs?: number;
}

/** A fault injected for the next `times` calls whose path matches. */
export interface FaultRule {
  /**
   * Path to match: `/api/auth/exchange`, or the same under the API root (`/auth/exchange`);
   * a trailing `*` matches a prefix (`/files/*`).
   */
  path: string;
  /** Only calls with this method (default any). */
  method?: string;
  /** How many matching calls it applies to (default 1). */
  times?: number;
  /** Answer with this status (and Aura's error shape) instead of handling the call. */
  status?: number;
  /** `Retry-After` seconds sent with `status`. */
  retryAfter?: number;
  /** Wait this long first; without `status` or `drop` the call is then handled as usual. */
  delayMs?: number;
  /** Drop the connection without an answer. */
  drop?: boolean;
}

/** A fault as held: the rule plus the calls it still applies to. */
export interface ActiveFault extends FaultRule {
  id: string;
  remaining: number;
}

/** One call, as the request log keeps it: secrets and tokens are never held in full. */
export interface RequestLogEntry {
  id: number;
  time: string;
  method: string;
  /** Path and query as received, with any token in it redacted. */
  path: string;
  /** The status answered; `0` when the connection was dropped. */
  status: number;
  appId: string | null;
  durationMs: number;
  /** The error code answered, when there was one. */
  code?: string;
  /** Set when an injected fault decided the answer. */
  fault?: 'status' | 'delay' | 'drop';
  /** Request headers, with Authorization, X-Api-Key and tokens redacted. */
  headers: Record<string, string>;
  /** What this call did that Aura may not take as well (the upload records it too). */
  warnings?: string[];
}

/** Something an upload went through that the sandbox accepted, but Aura may not. */
export interface UploadWarning {
  /**
   * `tus_before_start`: tus data arrived while the upload was only initialized;
   * `complete_without_finished_file`: `complete` came while a file had not finished, or no file came.
   */
  code: 'tus_before_start' | 'complete_without_finished_file';
  message: string;
  at: string;
}

export type UploadState =
  | 'initialized'
  | 'started'
  | 'completed'
  | 'errored'
  | 'cancelled'
  | 'submitted'
  | 'withdrawn';

/** A file received over tus. */
export interface UploadedFile {
  /** The tus upload id (the last segment of its URL). */
  id: string;
  uploadId: string | null;
  appId: string;
  /** Declared size in bytes (`null` while deferred). */
  size: number | null;
  /** Bytes received so far. */
  offset: number;
  finished: boolean;
  metadata: Record<string, string | null>;
  createdAt: string;
  finishedAt: string | null;
}

export interface StudyRecord {
  id: string;
  studyUid: string;
  details: Record<string, unknown>;
}

/** One upload and everything that happened to it. */
export interface UploadRecord {
  uploadId: string;
  appId: string;
  state: UploadState;
  mode: string | null;
  source: string | null;
  patientId: string | null;
  context: Record<string, unknown> | null;
  assemblyId: string | null;
  studies: StudyRecord[];
  errorMessage: string | null;
  submitMetadata: Record<string, unknown> | null;
  withdrawReason: string | null;
  files: UploadedFile[];
  /** One of each kind at most, the first time it happened. */
  warnings: UploadWarning[];
  history: { from: UploadState | null; to: UploadState; at: string }[];
  createdAt: string;
  updatedAt: string;
}

/** One batch received by the capture collector. */
export interface CapturedBatch {
  id: string;
  projectId: string;
  receivedAt: string;
  /** `gzip` when the body came compressed. */
  encoding: 'gzip' | 'identity';
  events: unknown[];
}

/** What `startSandbox()` resolves to. */
export interface Sandbox {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `http://127.0.0.1:<port>/api`: the `baseUrl` for clients. */
  apiUrl: string;
  /** The tus endpoint, `http://127.0.0.1:<port>/files/`. */
  tusUrl: string;
  port: number;
  /** Where tus keeps received files. */
  dataDir: string;
  /** The first app's credentials, plus every app accepted. */
  credentials: SandboxApp & { apps: SandboxApp[]; captureKey: string | undefined };
  /** The request log, oldest first (a copy). */
  requests(): RequestLogEntry[];
  /** Every captured event, in arrival order. */
  captured(): unknown[];
  /** Every captured batch, in arrival order. */
  capturedBatches(): CapturedBatch[];
  /** Injects a fault; returns it with its id. */
  fault(rule: FaultRule): ActiveFault;
  /** The upload with this id (any app), or `undefined`. */
  upload(uploadId: string): UploadRecord | undefined;
  /** Every upload, oldest first. */
  uploads(): UploadRecord[];
  /** Forgets tokens, nonces, uploads (and their files), limits, faults, captures and the log. */
  reset(): Promise<void>;
  /** Stops listening, ends open connections, removes the temporary folder. */
  close(): Promise<void>;
}
