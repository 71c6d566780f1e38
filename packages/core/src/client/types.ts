import type { AuraError } from '../errors';
import type { ReauthStore } from '../tokens/reauth';
import type { TokenStore } from '../tokens/store';
import type { RetryOptions } from './transport';

export type AuraScope = 'upload:init' | 'upload:manage' | 'integration:read' | (string & {});

export interface AuraClientOptions {
  /** The API root; `https://host` and `https://host/api` (trailing `/` or not) both mean `https://host/api`. */
  baseUrl: string;
  appId: string;
  appSecret: string;
  /** Sent as `X-Api-Key` on every call. */
  apiKey: string;
  /** Lifetime asked for cached tokens, in seconds (default 3600, at most 86 400). */
  tokenTtl?: number;
  /** Scopes asked for cached tokens (default all three). */
  defaultScopes?: AuraScope[];
  /** Timeout of each HTTP attempt, body included, in milliseconds (default 30 000). */
  timeoutMs?: number;
  /** The `fetch` to use (default the platform's). */
  fetch?: typeof fetch;
  /** Sent on every call; a call's own `headers` win over these. */
  defaultHeaders?: Record<string, string>;
  /** Where cached tokens live (default in memory, per client). */
  tokenStore?: TokenStore;
  /** Where re-authentications are counted (default in memory, per client). */
  reauthStore?: ReauthStore;
  /** Re-exchanges caused by 401 allowed per window (default 4 per 10 minutes). */
  reauthBudget?: { max: number; windowMs: number };
  /** Retries of 429, 503 and unsent requests. */
  retry?: RetryOptions;
  /** Told about a failed background refresh (the cached token stays in use until it expires). */
  onRefreshError?: (error: unknown) => void;
  /**
   * Deadline of each `tokenStore` / `reauthStore` call, in milliseconds (default 1000). A store
   * that throws or misses it counts as empty: the client serves the token it holds or exchanges
   * for itself, and counts re-authentications in the process at 1 per window.
   */
  storeTimeoutMs?: number;
  /** Told (a `store_unavailable` AuraError) each time a store throws or misses its deadline. */
  onStoreError?: (error: AuraError) => void;
}

export interface ExchangeOptions {
  /** Seconds, 1 to 86 400 (default the client's `tokenTtl`). */
  ttl?: number;
  scopes?: AuraScope[];
  maxUses?: number;
  signal?: AbortSignal;
}

export interface ExchangedToken {
  token: string;
  expiresAt: Date;
  scopes: string[];
  maxUses?: number;
}

export type QueryParams = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  /** A string or bytes (sent as is) or any JSON value. */
  body?: unknown;
  query?: QueryParams;
  /** Merged over the client's `defaultHeaders` for this call only. */
  headers?: Record<string, string | undefined>;
  /** `bearer` (the cached upload token, default) or `hmac` (signed with the app secret). */
  auth?: 'hmac' | 'bearer';
  /** Answer the `Response` itself, whatever its status, instead of parsed JSON. */
  raw?: boolean;
  signal?: AbortSignal;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * Answers are camelCase (Aura's snake_case wire names are mapped once, in the client); `raw` is
 * the answer as Aura sent it, for fields Aura adds later.
 */
export interface ManageResult {
  success: boolean;
  uploadId: string;
  status: string;
  message?: string;
  /** The parsed answer, as sent. */
  raw: unknown;
}

export interface SubmitOptions extends CallOptions {
  uploadId: string;
  metadata?: Record<string, unknown>;
}

export interface WithdrawOptions extends CallOptions {
  uploadId: string;
  reason?: string;
}

export interface UploaderConfig {
  lift: { endpoint: string; token: string; bucket?: string; [key: string]: unknown };
  mode: string;
  [key: string]: unknown;
}

export interface InitUploadOptions extends CallOptions {
  /** A UUID v4 chosen by the caller. */
  uploadId: string;
  /** Study UID → study description (`patient_name`, `modalities`, …), sent as given. */
  studies: Record<string, Record<string, unknown>>;
  mode?: string;
  source?: string;
  patientId?: string;
  context?: Record<string, unknown>;
}

export interface InitUploadStudy {
  /** Aura's id for the study. */
  id: string;
  /** The DICOM study instance UID it was registered under (`study_uid`), when Aura says it. */
  studyUid?: string;
}

export interface InitUploadResult {
  /** The upload's id (`upload_id`): Aura's when it answers one, else the one sent. */
  uploadId: string;
  studies: InitUploadStudy[];
  /** The upload's state (`status`), when Aura says it. */
  status?: string;
  /** The parsed answer, as sent. */
  raw: unknown;
}

/** What `startUpload`, `completeUpload`, `reportUploadError` and `cancelUpload` answer. */
export interface UploadStepResult {
  /** The upload's id (`upload_id`): Aura's when it answers one, else the one sent. */
  uploadId: string;
  /** Present when Aura answers a body with it (the API promises only a 2xx). */
  success?: boolean;
  status?: string;
  message?: string;
  /** The parsed answer, as sent (`undefined` for an empty answer). */
  raw: unknown;
}

export interface UploadStepOptions extends CallOptions {
  uploadId: string;
  assemblyId: string;
  mode?: string;
}

export interface UploadErrorOptions extends CallOptions {
  uploadId: string;
  message: string;
  mode?: string;
}

export interface CancelUploadOptions extends CallOptions {
  uploadId: string;
  mode?: string;
}
