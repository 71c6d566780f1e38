import { DEFAULT_SCOPES, DEFAULT_TIMEOUT_MS, DEFAULT_TOKEN_TTL, MAX_TOKEN_TTL } from '../aura-api';
import { type AuraEnv, auraConfigFromEnv } from '../config';
import type { MaybePromise } from '../crypto/types';
import { AuraError } from '../errors';
import { bodyBytes } from '../signing/body';
import { encodeQueryMap } from '../signing/canonical';
import { signRequest } from '../signing/sign';
import { DEFAULT_STORE_TIMEOUT_MS, TokenCache } from '../tokens/cache';
import { isThenable } from '../tokens/guard';
import { MemoryReauthStore } from '../tokens/reauth';
import { MemoryTokenStore, type StoredToken } from '../tokens/store';
import { normalizeBaseUrl } from './base-url';
import { apiError, isRecord, normalizeExchange, parseBody } from './response';
import { type Outgoing, type SendContext, Transport } from './transport';
import type {
  AuraClientOptions,
  CallOptions,
  CancelUploadOptions,
  ExchangedToken,
  ExchangeOptions,
  InitUploadOptions,
  InitUploadResult,
  InitUploadStudy,
  ManageResult,
  RequestOptions,
  SubmitOptions,
  UploadErrorOptions,
  UploaderConfig,
  UploadStepOptions,
  UploadStepResult,
  WithdrawOptions,
} from './types';

export const DEFAULT_REAUTH_BUDGET = { max: 4, windowMs: 600_000 } as const;

const SCOPE = /^[\x21-\x7e]+$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:|^\/\//;
const APP_ID = /^[\x21-\x7e]+$/;
const RECENT_TOKENS = 8;
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2_147_483_647;

function positiveInteger(value: unknown, max = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= max;
}

function argument(message: string): AuraError {
  return new AuraError('invalid_argument', message);
}

function requireId(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw argument(`${name} must be a non-empty string`);
  }
  return value;
}

/** Case-insensitive merge, later layers winning; `undefined` values are skipped. */
function mergeHeaders(
  ...layers: Array<Record<string, string | undefined> | undefined>
): Record<string, string> {
  const merged = new Map<string, [string, string]>();
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const [name, value] of Object.entries(layer)) {
      if (value !== undefined) merged.set(name.toLowerCase(), [name, value]);
    }
  }
  return Object.fromEntries(merged.values());
}

function checkCallerHeaders(headers: Record<string, string | undefined> | undefined): void {
  if (headers === undefined) return;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'authorization' || lower.startsWith('x-aura-')) {
      throw argument(`header ${name} is set by the client itself; leave it out`);
    }
  }
}

function checkScopes(scopes: unknown, name: string): string[] {
  if (
    !Array.isArray(scopes) ||
    scopes.length === 0 ||
    !scopes.every((s) => typeof s === 'string' && SCOPE.test(s))
  ) {
    throw argument(`${name} must be a non-empty list of scope names, e.g. ['upload:init']`);
  }
  return [...new Set(scopes as string[])];
}

/**
 * Reads a client's token cache. Set by `AuraClient`'s static block, the one place its private
 * `#cache` is in scope; `undefined` for anything that is not a client of this copy of the package.
 */
let tokenCacheOf: (client: object) => TokenCache | undefined = () => undefined;

/**
 * `client.getAccessToken()`, but answered at once (a string, no promise) when the client's cache
 * holds a usable token and its store answers synchronously, as the in-memory one does: the token
 * guard's warm path. A promise otherwise. `undefined` for a client of another copy of the
 * package (dual ESM/CJS) or one whose `getAccessToken` was replaced (a subclass, a test double):
 * its own `getAccessToken()` is then the way. Not exported by the package.
 */
export function accessTokenAtOnce(client: AuraClient): MaybePromise<string> | undefined {
  if (client.getAccessToken !== AuraClient.prototype.getAccessToken) return undefined;
  const cache = tokenCacheOf(client);
  if (cache === undefined) return undefined;
  const held = cache.get();
  return isThenable(held) ? held.then((token) => token.token) : held.token;
}

/**
 * The Aura API client (docs/API.md) on the platform `fetch`: the HMAC exchange, a cached
 * single-flight upload token with refresh ahead and a bounded re-auth budget, the uploader and
 * manage calls, and `request()` for any other endpoint.
 */
export class AuraClient {
  /** The normalised API root, e.g. `https://aura.example.com/api`. */
  readonly baseUrl: string;
  readonly appId: string;
  readonly tokenTtl: number;
  readonly defaultScopes: readonly string[];
  readonly timeoutMs: number;
  readonly #appSecret: string;
  readonly #apiKey: string;
  readonly #defaultHeaders: Record<string, string>;
  readonly #transport: Transport;
  readonly #cache: TokenCache;
  readonly #recentTokens: string[] = [];

  static {
    tokenCacheOf = (client) => (#cache in client ? client.#cache : undefined);
  }

  constructor(options: AuraClientOptions) {
    const o = options ?? ({} as AuraClientOptions);
    const problems: string[] = [];
    let baseUrl = '';
    try {
      baseUrl = normalizeBaseUrl(o.baseUrl);
    } catch (error) {
      problems.push((error as Error).message);
    }
    // An absent value is the common mistake (an unset variable): say so, not the whole rule.
    if (o.appId === undefined || o.appId === null || o.appId === '') {
      problems.push('appId is required (AURA_APP_ID), e.g. aura_pk_…');
    } else if (typeof o.appId !== 'string' || !APP_ID.test(o.appId) || /[,/]/.test(o.appId)) {
      problems.push('appId must be a string of visible ASCII without spaces, "," or "/"');
    }
    if (o.appSecret === undefined || o.appSecret === null || o.appSecret === '') {
      problems.push('appSecret is required (AURA_APP_SECRET)');
    } else if (typeof o.appSecret !== 'string') {
      problems.push('appSecret must be a string');
    }
    if (o.apiKey === undefined || o.apiKey === null || o.apiKey === '') {
      problems.push('apiKey is required (AURA_API_KEY)');
    } else if (typeof o.apiKey !== 'string' || /[\r\n\0]/.test(o.apiKey)) {
      problems.push('apiKey must be a string on one line');
    }
    const tokenTtl = o.tokenTtl ?? DEFAULT_TOKEN_TTL;
    if (!positiveInteger(tokenTtl, MAX_TOKEN_TTL)) {
      problems.push(`tokenTtl must be whole seconds from 1 to ${MAX_TOKEN_TTL}`);
    }
    let scopes: string[] = [...DEFAULT_SCOPES];
    if (o.defaultScopes !== undefined) {
      try {
        scopes = checkScopes(o.defaultScopes, 'defaultScopes');
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!positiveInteger(timeoutMs)) problems.push('timeoutMs must be a positive whole number');
    const budget = o.reauthBudget ?? DEFAULT_REAUTH_BUDGET;
    if (
      !Number.isSafeInteger(budget?.max) ||
      budget.max < 0 ||
      !positiveInteger(budget?.windowMs)
    ) {
      problems.push(
        'reauthBudget must be { max: a whole number ≥ 0, windowMs: a positive whole number }',
      );
    }
    const storeTimeoutMs = o.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
    if (!positiveInteger(storeTimeoutMs, MAX_TIMER_MS)) {
      problems.push(`storeTimeoutMs must be whole milliseconds from 1 to ${MAX_TIMER_MS}`);
    }
    if (o.onStoreError !== undefined && typeof o.onStoreError !== 'function') {
      problems.push('onStoreError must be a function');
    }
    // The platform fetch is called as a plain function at call time: workerd throws "Illegal
    // invocation" when its fetch is called as a method of another object (our transport).
    const fetchImpl: typeof fetch | undefined =
      o.fetch ??
      (typeof globalThis.fetch === 'function'
        ? (input: Parameters<typeof fetch>[0], init?: RequestInit) => globalThis.fetch(input, init)
        : undefined);
    if (typeof fetchImpl !== 'function') {
      problems.push('no fetch: this runtime has no global fetch; pass the fetch option');
    }
    const retry = {
      attempts: o.retry?.attempts ?? 3,
      baseDelayMs: o.retry?.baseDelayMs ?? 250,
      maxDelayMs: o.retry?.maxDelayMs ?? 5_000,
      maxRetryAfterMs: o.retry?.maxRetryAfterMs ?? 30_000,
    };
    if (!positiveInteger(retry.attempts)) problems.push('retry.attempts must be at least 1');
    for (const name of ['baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs'] as const) {
      if (!Number.isFinite(retry[name]) || retry[name] < 0) {
        problems.push(`retry.${name} must be a number ≥ 0`);
      }
    }
    try {
      checkCallerHeaders(o.defaultHeaders);
    } catch (error) {
      problems.push(`defaultHeaders: ${(error as Error).message}`);
    }
    if (problems.length > 0) {
      throw new AuraError(
        'configuration',
        `AuraClient options are invalid:\n  - ${problems.join('\n  - ')}`,
        { details: { problems } },
      );
    }

    this.baseUrl = baseUrl;
    this.appId = o.appId;
    this.tokenTtl = tokenTtl;
    this.defaultScopes = Object.freeze(scopes);
    this.timeoutMs = timeoutMs;
    this.#appSecret = o.appSecret;
    this.#apiKey = o.apiKey;
    this.#defaultHeaders = mergeHeaders(o.defaultHeaders);
    this.#transport = new Transport({
      fetch: fetchImpl!,
      timeoutMs,
      retry,
      secrets: () => [this.#appSecret, this.#apiKey, ...this.#recentTokens],
    });
    const cacheScopes = [...scopes].sort().join(' ');
    this.#cache = new TokenCache({
      store: o.tokenStore ?? new MemoryTokenStore(),
      reauthStore: o.reauthStore ?? new MemoryReauthStore(),
      key: `${baseUrl} ${this.appId} ${cacheScopes} ${tokenTtl}`,
      budgetKey: `${baseUrl} ${this.appId}`,
      budget: { max: budget.max, windowMs: budget.windowMs },
      lockMs: timeoutMs + 5_000,
      exchange: () => this.#exchange({}),
      storeTimeoutMs,
      onStoreError: o.onStoreError,
      ...(o.onRefreshError === undefined ? {} : { onRefreshError: o.onRefreshError }),
    });
  }

  /**
   * A client from the `AURA_*` variables (docs/API.md): throws one `configuration` error naming
   * every missing or invalid variable. `overrides` adds what the environment cannot hold
   * (`fetch`, stores, `defaultHeaders`).
   */
  static fromEnv(env?: AuraEnv, overrides: Partial<AuraClientOptions> = {}): AuraClient {
    return clientFromEnv(env, overrides);
  }

  /**
   * Exchanges the app credentials (HMAC-signed) for a new upload token. Not cached: use it to
   * mint tokens for browsers; the client's own calls use `getAccessToken()`.
   */
  async exchangeToken(options: ExchangeOptions = {}): Promise<ExchangedToken> {
    const token = await this.#exchange(options);
    return {
      token: token.token,
      expiresAt: new Date(token.expiresAt),
      scopes: token.scopes,
      ...(token.maxUses === undefined ? {} : { maxUses: token.maxUses }),
    };
  }

  /**
   * The cached upload token (default ttl and scopes), exchanged once for all concurrent callers
   * and refreshed ahead of its expiry. Each call counts as one use against `max_uses`.
   */
  async getAccessToken(): Promise<string> {
    return (await this.#cache.get()).token;
  }

  /** `POST /uploader/manage/submit`. */
  async submit(options: SubmitOptions): Promise<ManageResult> {
    const uploadId = requireId(options?.uploadId, 'uploadId');
    const body: Record<string, unknown> = { upload_id: uploadId };
    if (options.metadata !== undefined) body.metadata = options.metadata;
    const path = '/uploader/manage/submit';
    return this.#manageResult(await this.#post(path, body, options), uploadId, path);
  }

  /** `POST /uploader/manage/withdraw`. */
  async withdraw(options: WithdrawOptions): Promise<ManageResult> {
    const uploadId = requireId(options?.uploadId, 'uploadId');
    const body: Record<string, unknown> = { upload_id: uploadId };
    if (options.reason !== undefined) body.reason = options.reason;
    const path = '/uploader/manage/withdraw';
    return this.#manageResult(await this.#post(path, body, options), uploadId, path);
  }

  /** `GET /uploader/config`: where the browser uploads to. */
  async getUploaderConfig(options: CallOptions = {}): Promise<UploaderConfig> {
    const path = '/uploader/config';
    const config = await this.request('GET', path, { signal: options.signal });
    if (!isRecord(config) || !isRecord(config.lift) || typeof config.lift.endpoint !== 'string') {
      throw this.#invalid(path, 'has no lift.endpoint');
    }
    return config as UploaderConfig;
  }

  /** `POST /uploader/upload/init`; `studies` is sent as given. */
  async initUpload(options: InitUploadOptions): Promise<InitUploadResult> {
    const body: Record<string, unknown> = {
      upload_id: requireId(options?.uploadId, 'uploadId'),
      studies: options.studies,
      mode: options.mode ?? 'bulk',
    };
    if (!isRecord(options.studies)) throw argument('studies must be an object keyed by study UID');
    if (options.source !== undefined) body.source = options.source;
    if (options.patientId !== undefined) body.patient_id = options.patientId;
    if (options.context !== undefined) body.context = options.context;
    const path = '/uploader/upload/init';
    const answer = await this.#post(path, body, options);
    return this.#initResult(answer, body.upload_id as string, path);
  }

  /** `POST /uploader/upload/start`. */
  async startUpload(options: UploadStepOptions): Promise<UploadStepResult> {
    const body = this.#stepBody(options);
    const path = '/uploader/upload/start';
    return this.#stepResult(await this.#post(path, body, options), body.upload_id, path);
  }

  /** `POST /uploader/upload/complete`. */
  async completeUpload(options: UploadStepOptions): Promise<UploadStepResult> {
    const body = this.#stepBody(options);
    const path = '/uploader/upload/complete';
    return this.#stepResult(await this.#post(path, body, options), body.upload_id, path);
  }

  /** `POST /uploader/upload/error`: tells Aura the browser upload failed. */
  async reportUploadError(options: UploadErrorOptions): Promise<UploadStepResult> {
    const body = {
      upload_id: requireId(options?.uploadId, 'uploadId'),
      message: requireId(options.message, 'message'),
      mode: options.mode ?? 'bulk',
    };
    const path = '/uploader/upload/error';
    return this.#stepResult(await this.#post(path, body, options), body.upload_id, path);
  }

  /** `POST /uploader/upload/cancel`. */
  async cancelUpload(options: CancelUploadOptions): Promise<UploadStepResult> {
    const body = {
      upload_id: requireId(options?.uploadId, 'uploadId'),
      mode: options.mode ?? 'bulk',
    };
    const path = '/uploader/upload/cancel';
    return this.#stepResult(await this.#post(path, body, options), body.upload_id, path);
  }

  /**
   * Any endpoint, `path` under the API root. Bearer by default (a 401 re-authenticates once),
   * or `auth: 'hmac'`. Answers parsed JSON (text when not JSON, `undefined` when empty) and
   * throws a typed error for a non-2xx answer; with `raw: true`, answers the `Response` itself.
   */
  request(method: string, path: string, options: RequestOptions & { raw: true }): Promise<Response>;
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>;
  async request(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    if (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method)) {
      throw argument('method must be an HTTP method such as GET or POST');
    }
    if (typeof path !== 'string' || path === '' || SCHEME.test(path)) {
      throw argument('path must be a path under the API root, such as /uploader/config');
    }
    checkCallerHeaders(options.headers);
    const upper = method.toUpperCase();
    const context: SendContext = {
      method: upper,
      path: path.split('?')[0]!,
      signed: options.auth === 'hmac',
      signal: options.signal,
    };
    const response = await this.#call(upper, path, options, context);
    if (options.raw === true) return response;
    const text = await this.#transport.text(response, context);
    const parsed = parseBody(text);
    if (!response.ok) {
      throw apiError(
        response.status,
        response.statusText,
        response.headers,
        parsed,
        this.#errorContext(context),
      );
    }
    if (parsed.json) return parsed.value;
    if (/\bjson\b/i.test(response.headers.get('content-type') ?? '')) {
      throw this.#invalid(context.path, 'is declared JSON but does not parse', response.status);
    }
    return parsed.text;
  }

  async #call(
    method: string,
    path: string,
    options: RequestOptions,
    context: SendContext,
  ): Promise<Response> {
    const headers = mergeHeaders(
      { Accept: 'application/json' },
      this.#defaultHeaders,
      options.headers,
      { 'X-Api-Key': this.#apiKey },
    );
    if (options.auth === 'hmac') {
      const credentials = { appId: this.appId, appSecret: this.#appSecret };
      return this.#transport.send(
        () =>
          signRequest(
            credentials,
            {
              method,
              baseUrl: this.baseUrl,
              url: path,
              headers,
              body: options.body,
              ...(options.query === undefined ? {} : { query: options.query }),
            },
            { timestamp: this.#transport.timestamp() },
          ),
        context,
      );
    }
    if (options.auth !== undefined && options.auth !== 'bearer') {
      throw argument(`auth must be 'bearer' or 'hmac'`);
    }
    const body = bodyBytes(options.body);
    let url = this.baseUrl + (path.startsWith('/') ? path : `/${path}`);
    const query = options.query === undefined ? '' : encodeQueryMap(options.query).join('&');
    if (query !== '') url += (url.includes('?') ? '&' : '?') + query;
    if (
      body !== undefined &&
      !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')
    ) {
      headers['Content-Type'] = 'application/json';
    }
    const send = (token: string): Promise<Response> =>
      this.#transport.send(
        async (): Promise<Outgoing> => ({
          url,
          method,
          headers: { ...headers, Authorization: `Bearer ${token}` },
          ...(body === undefined ? {} : { body }),
        }),
        context,
      );
    let token = await this.#token();
    let response = await send(token);
    if (response.status === 401) {
      // Retried once: a second 401, even with a fresh token, is the caller's error to see.
      response.body?.cancel().catch(() => {});
      await this.#cache.reject(token);
      token = await this.#token();
      response = await send(token);
    }
    return response;
  }

  async #token(): Promise<string> {
    const { token } = await this.#cache.get();
    if (!this.#recentTokens.includes(token)) {
      this.#recentTokens.push(token);
      if (this.#recentTokens.length > RECENT_TOKENS) this.#recentTokens.shift();
    }
    return token;
  }

  async #exchange(options: ExchangeOptions): Promise<StoredToken> {
    const ttl = options.ttl ?? this.tokenTtl;
    if (!positiveInteger(ttl, MAX_TOKEN_TTL)) {
      throw argument(`ttl must be whole seconds from 1 to ${MAX_TOKEN_TTL}`);
    }
    const scopes =
      options.scopes === undefined
        ? [...this.defaultScopes]
        : checkScopes(options.scopes, 'scopes');
    if (options.maxUses !== undefined && !positiveInteger(options.maxUses)) {
      throw argument('maxUses must be a positive whole number');
    }
    const body: Record<string, unknown> = { ttl, scopes };
    if (options.maxUses !== undefined) body.max_uses = options.maxUses;
    const path = '/auth/exchange';
    const started = Date.now();
    const answer = await this.request('POST', path, {
      auth: 'hmac',
      body,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const token = normalizeExchange(
      answer,
      { scopes, maxUses: options.maxUses },
      started,
      this.#transport.clockOffsetMs,
    );
    if (!this.#recentTokens.includes(token.token)) {
      this.#recentTokens.push(token.token);
      if (this.#recentTokens.length > RECENT_TOKENS) this.#recentTokens.shift();
    }
    return token;
  }

  #post(path: string, body: unknown, options: CallOptions): Promise<unknown> {
    return this.request('POST', path, {
      body,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }

  #stepBody(options: UploadStepOptions): { upload_id: string; assembly_id: string; mode: string } {
    return {
      upload_id: requireId(options?.uploadId, 'uploadId'),
      assembly_id: requireId(options.assemblyId, 'assemblyId'),
      mode: options.mode ?? 'bulk',
    };
  }

  #manageResult(answer: unknown, uploadId: string, path: string): ManageResult {
    if (
      !isRecord(answer) ||
      typeof answer.success !== 'boolean' ||
      typeof answer.status !== 'string'
    ) {
      throw this.#invalid(path, 'lacks success or status');
    }
    return {
      success: answer.success,
      uploadId: typeof answer.upload_id === 'string' ? answer.upload_id : uploadId,
      status: answer.status,
      ...(typeof answer.message === 'string' ? { message: answer.message } : {}),
      raw: answer,
    };
  }

  // The wire's snake_case names are mapped to the TypeScript API's camelCase here, and only here.

  #initResult(answer: unknown, uploadId: string, path: string): InitUploadResult {
    if (!isRecord(answer) || !Array.isArray(answer.studies)) {
      throw this.#invalid(path, 'has no studies list');
    }
    const studies: InitUploadStudy[] = [];
    for (const study of answer.studies) {
      const id = isRecord(study) ? study.id : undefined;
      if (typeof id !== 'string' && !Number.isSafeInteger(id)) {
        throw this.#invalid(path, 'has a study without an id');
      }
      const studyUid = (study as Record<string, unknown>).study_uid;
      studies.push({
        id: String(id),
        ...(typeof studyUid === 'string' ? { studyUid } : {}),
      });
    }
    return {
      uploadId: typeof answer.upload_id === 'string' ? answer.upload_id : uploadId,
      studies,
      ...(typeof answer.status === 'string' ? { status: answer.status } : {}),
      raw: answer,
    };
  }

  /** A lifecycle step's answer: Aura promises only a 2xx, so every field but the id is optional. */
  #stepResult(answer: unknown, uploadId: string, path: string): UploadStepResult {
    if (answer !== undefined && !isRecord(answer)) {
      throw this.#invalid(path, 'is neither empty nor a JSON object');
    }
    const fields = answer ?? {};
    return {
      uploadId: typeof fields.upload_id === 'string' ? fields.upload_id : uploadId,
      ...(typeof fields.success === 'boolean' ? { success: fields.success } : {}),
      ...(typeof fields.status === 'string' ? { status: fields.status } : {}),
      ...(typeof fields.message === 'string' ? { message: fields.message } : {}),
      raw: answer,
    };
  }

  #invalid(path: string, what: string, status?: number): AuraError {
    return new AuraError('invalid_response', `the answer to ${path} ${what}`, {
      ...(status === undefined ? {} : { status }),
    });
  }

  #errorContext(context: SendContext) {
    return {
      method: context.method,
      path: context.path,
      secrets: [this.#appSecret, this.#apiKey, ...this.#recentTokens],
      signed: context.signed,
    };
  }
}

// Outside the class body on purpose: a class that names itself inside its body is emitted by the
// bundler as `class _AuraClient`, and users would read that name in every stack frame.
function clientFromEnv(
  env: AuraEnv | undefined,
  overrides: Partial<AuraClientOptions>,
): AuraClient {
  return new AuraClient({ ...auraConfigFromEnv(env), ...overrides });
}
