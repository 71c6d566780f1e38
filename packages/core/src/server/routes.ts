/**
 * The routes every adapter mounts under the prefix the user chooses (`auraRouter`, `auraRoutes`,
 * `AuraModule`): `POST /upload-token` for the vendor's browser uploader, `POST /submit` and
 * `POST /withdraw` for the signed-in user, and `POST /exchange` only when asked for. Each handler
 * takes the framework's own request (handed to `authorize`) and the body, and answers a neutral
 * response, Aura's errors mapped here so that no app error handler is needed.
 */
import { AURA_SCOPES, MAX_TOKEN_TTL } from '../aura-api';
import type { AuraClient } from '../client/client';
import type { AuraScope, ManageResult } from '../client/types';
import { AuraError } from '../errors';
import { type AuraClientSource, resolveAuraClient } from './client';
import { auraErrorResponse } from './errors';
import { errorResponse, jsonResponse, type NeutralResponse, parseJson } from './http';
import { MemoryRateLimitStore, type RateLimitHit, type RateLimitStore } from './rate-limit';

/**
 * What the vendor's browser uploader does with the one token it is given: `GET /uploader/config`
 * (`integration:read`), then init, start, complete or error (`upload:init`, `upload:manage`).
 */
export const UPLOADER_SCOPES: readonly AuraScope[] = AURA_SCOPES;
/** Calls the uploader makes with one token at the least (config, init, start, complete, error). */
export const UPLOADER_MIN_USES = 5;
/** Default per-user limit on minted tokens: 10 per minute (the vendor's advice). */
export const DEFAULT_RATE_LIMIT = { max: 10, windowMs: 60_000 } as const;
/** Default cap on a route's JSON body (submit metadata), in bytes. */
export const DEFAULT_ROUTE_BODY_BYTES = 102_400;
// A rate-limit store that does not answer within this is treated as down (fail closed: 503).
const STORE_DEADLINE_MS = 2_000;

export interface AuraRoutesOptions<Req> {
  /** The app's own user check: the user, or null/undefined (→ 401). Given the framework's request. */
  authorize?: (req: Req) => unknown | Promise<unknown>;
  /** Serve callers without a user (one shared rate-limit bucket). Required to omit `authorize`. */
  allowAnonymous?: boolean;
  /** Per-user limit on `/upload-token` and `/exchange` (default 10 per 60 s, in memory); `false` turns it off. */
  rateLimit?: { max?: number; windowMs?: number; store?: RateLimitStore } | false;
  /** Lifetime of the tokens handed out, in seconds (default the client's `tokenTtl`). */
  tokenTtl?: number;
  /** Scopes of the tokens handed out (default all three, which the uploader needs). */
  scopes?: AuraScope[];
  /** Calls each token handed out may make (default Aura's; at least 5 for the uploader). */
  maxUses?: number;
  /** Mount `POST /exchange` (off by default). */
  exposeExchange?: boolean;
  /** Scopes `/exchange` may grant (default `scopes`). */
  exchangeScopes?: AuraScope[];
  /** The client (default one from the `AURA_*` environment, resolved when the routes are made). */
  client?: AuraClientSource;
  /**
   * The client for one request (e.g. the one the adapter's middleware attached); when it answers
   * `undefined`, `client` is used. Given this, the environment is read on first use, not at once.
   */
  getClient?: (req: Req) => AuraClient | undefined;
  /** Key for the per-user limit; default: user.id ?? user.sub ?? user.email, or the user itself when a string or number. */
  userKey?: (user: unknown) => string;
  /** Largest JSON body accepted by `/submit`, `/withdraw` and `/exchange` (default 100 KiB). */
  maxBodyBytes?: number;
}

/** The body as the adapter has it: parsed by the framework already, or raw. */
export type RouteBody = { parsed: unknown } | { raw: Uint8Array | string | undefined };

export type AuraRoutePath = '/upload-token' | '/submit' | '/withdraw' | '/exchange';

export interface AuraRoute<Req> {
  method: 'POST';
  path: AuraRoutePath;
  /** Largest raw body the adapter should read for this route (it answers 413 past it). */
  maxBodyBytes: number;
  /** body: the parsed JSON body if the framework already parsed one, else raw bytes/string. */
  handle(request: Req, body: RouteBody): Promise<NeutralResponse>;
}

function configuration(message: string): AuraError {
  return new AuraError('configuration', `Aura routes: ${message}`);
}

function positiveInteger(value: unknown, max = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= max;
}

function checkScopeList(scopes: unknown, name: string): AuraScope[] {
  if (
    !Array.isArray(scopes) ||
    scopes.length === 0 ||
    !scopes.every((s) => typeof s === 'string' && /^[\x21-\x7e]+$/.test(s))
  ) {
    throw configuration(`${name} must be a non-empty list of scope names`);
  }
  return [...new Set(scopes as AuraScope[])];
}

interface Settings<Req> {
  authorize: ((req: Req) => unknown | Promise<unknown>) | undefined;
  limit: { max: number; windowMs: number; store: RateLimitStore } | undefined;
  tokenTtl: number | undefined;
  scopes: AuraScope[];
  maxUses: number | undefined;
  exchangeScopes: AuraScope[] | undefined;
  userKey: (user: unknown) => string;
  maxBodyBytes: number;
  client: (req: Req) => AuraClient;
}

/** Every option checked once, when the app is assembled, each refusal saying why. */
function settle<Req>(options: AuraRoutesOptions<Req>): Settings<Req> {
  if (options === null || typeof options !== 'object') {
    throw configuration('options are required (at least { authorize })');
  }
  const { authorize } = options;
  if (authorize !== undefined && typeof authorize !== 'function') {
    throw configuration('authorize must be a function (req) => user | null');
  }
  if (authorize === undefined && options.allowAnonymous !== true) {
    throw configuration(
      'authorize is required: pass authorize: (req) => user | null with your own user check, ' +
        'or allowAnonymous: true to hand upload tokens to anyone',
    );
  }

  let limit: Settings<Req>['limit'];
  if (options.rateLimit !== false) {
    const given = options.rateLimit ?? {};
    const max = given.max ?? DEFAULT_RATE_LIMIT.max;
    const windowMs = given.windowMs ?? DEFAULT_RATE_LIMIT.windowMs;
    if (!positiveInteger(max)) throw configuration('rateLimit.max must be a positive whole number');
    if (!positiveInteger(windowMs)) {
      throw configuration('rateLimit.windowMs must be a positive whole number of milliseconds');
    }
    const store = given.store ?? new MemoryRateLimitStore();
    if (typeof store?.increment !== 'function') {
      throw configuration('rateLimit.store must have an increment(key, windowMs) method');
    }
    limit = { max, windowMs, store };
  }

  if (options.tokenTtl !== undefined && !positiveInteger(options.tokenTtl, MAX_TOKEN_TTL)) {
    throw configuration(`tokenTtl must be whole seconds from 1 to ${MAX_TOKEN_TTL}`);
  }
  const scopes =
    options.scopes === undefined ? [...UPLOADER_SCOPES] : checkScopeList(options.scopes, 'scopes');
  const lacking = UPLOADER_SCOPES.filter((scope) => !scopes.includes(scope));
  if (lacking.length > 0) {
    throw configuration(
      `scopes lack ${lacking.join(', ')}: the browser uploader calls GET /uploader/config ` +
        '(integration:read), then init, start, complete and error (upload:init, upload:manage) ' +
        'with the one token it is given',
    );
  }
  if (options.maxUses !== undefined) {
    if (!positiveInteger(options.maxUses)) {
      throw configuration('maxUses must be a positive whole number');
    }
    if (options.maxUses < UPLOADER_MIN_USES) {
      throw configuration(
        `maxUses is ${options.maxUses}, below ${UPLOADER_MIN_USES}: the browser uploader makes ` +
          'at least five calls with its token (config, init, start, complete or error)',
      );
    }
  }
  let exchangeScopes: AuraScope[] | undefined;
  if (options.exposeExchange === true) {
    exchangeScopes =
      options.exchangeScopes === undefined
        ? scopes
        : checkScopeList(options.exchangeScopes, 'exchangeScopes');
  }
  if (options.userKey !== undefined && typeof options.userKey !== 'function') {
    throw configuration('userKey must be a function (user) => string');
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_ROUTE_BODY_BYTES;
  if (!positiveInteger(maxBodyBytes)) {
    throw configuration('maxBodyBytes must be a positive whole number of bytes');
  }
  if (options.getClient !== undefined && typeof options.getClient !== 'function') {
    throw configuration('getClient must be a function (req) => AuraClient | undefined');
  }

  return {
    authorize,
    limit,
    tokenTtl: options.tokenTtl,
    scopes,
    maxUses: options.maxUses,
    exchangeScopes,
    userKey: options.userKey ?? defaultUserKey,
    maxBodyBytes,
    client: clientResolver(options),
  };
}

/**
 * The client per request. Without `getClient`, resolved now, so that a missing variable stops
 * the app at start-up; with it, the fallback is resolved on first use (the adapter's middleware,
 * which resolved its own client at start-up, normally serves every request).
 */
function clientResolver<Req>(options: AuraRoutesOptions<Req>): (req: Req) => AuraClient {
  const { getClient } = options;
  if (getClient === undefined) {
    const client = resolveAuraClient(options.client);
    return () => client;
  }
  let fallback: AuraClient | undefined =
    options.client === undefined ? undefined : resolveAuraClient(options.client);
  return (req) => {
    const attached = getClient(req);
    if (attached !== undefined) return attached;
    fallback ??= resolveAuraClient(undefined);
    return fallback;
  };
}

/** user.id ?? user.sub ?? user.email, or a string or number user itself. */
function defaultUserKey(user: unknown): string {
  if (typeof user === 'string' || typeof user === 'number' || typeof user === 'bigint') {
    return String(user);
  }
  if (typeof user === 'object' && user !== null) {
    const record = user as Record<string, unknown>;
    for (const field of ['id', 'sub', 'email']) {
      const value = record[field];
      if (typeof value === 'string' || typeof value === 'number') return String(value);
    }
  }
  // Never String(user): every object would share "[object Object]" and one user's limit.
  throw configuration(
    'the user authorize returned has no id, sub or email to rate-limit by; pass userKey: (user) => string',
  );
}

/** The user, or the 401 to answer. Null and undefined mean "not signed in". */
async function authenticate<Req>(
  settings: Settings<Req>,
  req: Req,
): Promise<{ ok: true; user: unknown } | { ok: false; response: NeutralResponse }> {
  if (settings.authorize === undefined) return { ok: true, user: undefined };
  const user = await settings.authorize(req);
  if (user === null || user === undefined || user === false) {
    return {
      ok: false,
      response: errorResponse(401, 'unauthorized', 'sign in to use this endpoint'),
    };
  }
  return { ok: true, user };
}

async function withDeadline<T>(work: Promise<T> | T, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(work), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** undefined when the user may go on, else the 429 (or the 503 of a store that is down). */
async function checkRateLimit<Req>(
  settings: Settings<Req>,
  user: unknown,
): Promise<NeutralResponse | undefined> {
  const limit = settings.limit;
  if (limit === undefined) return undefined;
  const key = user === undefined || user === null ? 'anonymous' : settings.userKey(user);
  let hit: RateLimitHit;
  try {
    hit = await withDeadline(
      limit.store.increment(`upload-token:${key}`, limit.windowMs),
      STORE_DEADLINE_MS,
      'the rate-limit store',
    );
  } catch {
    // Fail closed: tokens are not minted while the counter cannot be read.
    return errorResponse(
      503,
      'rate_limit_unavailable',
      'the rate limiter is unavailable; try again shortly',
      { 'retry-after': '1' },
    );
  }
  if (hit.count <= limit.max) return undefined;
  const seconds = Math.max(1, Math.ceil(hit.resetMs / 1000));
  return errorResponse(
    429,
    'rate_limited',
    `too many upload tokens requested; try again in ${seconds} s`,
    { 'retry-after': String(seconds) },
  );
}

/** A JSON object body, or the 400 naming what is wrong. */
function readObject(
  body: RouteBody,
  maxBodyBytes: number,
): { ok: true; value: Record<string, unknown> } | { ok: false; response: NeutralResponse } {
  let value: unknown;
  if ('parsed' in body) {
    value = body.parsed;
  } else {
    const raw = body.raw;
    const size = raw === undefined ? 0 : typeof raw === 'string' ? raw.length : raw.byteLength;
    if (size > maxBodyBytes) {
      return {
        ok: false,
        response: errorResponse(
          413,
          'body_too_large',
          `the request body is larger than the ${maxBodyBytes} bytes accepted`,
        ),
      };
    }
    const parsed = parseJson(raw);
    if (!parsed.ok) {
      return { ok: false, response: errorResponse(400, 'invalid_json', parsed.message) };
    }
    value = parsed.value;
  }
  if (value === undefined || value === null) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      response: errorResponse(400, 'invalid_request', 'the body must be a JSON object'),
    };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

function invalid(message: string): { ok: false; response: NeutralResponse } {
  return { ok: false, response: errorResponse(400, 'invalid_request', message) };
}

type Field<T> = { ok: true; value: T } | { ok: false; response: NeutralResponse };

function requiredId(body: Record<string, unknown>, name: string): Field<string> {
  const value = body[name];
  if (typeof value !== 'string' || value.trim() === '') {
    return invalid(`${name} is required: a non-empty string`);
  }
  if (value.length > 255) return invalid(`${name} is longer than 255 characters`);
  return { ok: true, value };
}

function optionalObject(
  body: Record<string, unknown>,
  name: string,
): Field<Record<string, unknown> | undefined> {
  const value = body[name];
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (typeof value !== 'object' || Array.isArray(value))
    return invalid(`${name} must be an object`);
  return { ok: true, value: value as Record<string, unknown> };
}

function optionalString(body: Record<string, unknown>, name: string): Field<string | undefined> {
  const value = body[name];
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (typeof value !== 'string') return invalid(`${name} must be a string`);
  return { ok: true, value };
}

/** Runs a handler step, mapping Aura's errors (and only them) to answers. */
async function answer(work: () => Promise<NeutralResponse>): Promise<NeutralResponse> {
  try {
    return await work();
  } catch (error) {
    const mapped = auraErrorResponse(error);
    if (mapped !== undefined) return mapped;
    throw error;
  }
}

function tokenAnswer(token: { token: string; expiresAt: Date; scopes: string[] }) {
  // Exactly these three fields: nothing else about the exchange reaches the browser.
  return jsonResponse(200, {
    token: token.token,
    expires_at: token.expiresAt.toISOString(),
    scopes: token.scopes,
  });
}

function manageAnswer(result: ManageResult) {
  return jsonResponse(200, {
    success: result.success,
    upload_id: result.uploadId,
    status: result.status,
    ...(result.message === undefined ? {} : { message: result.message }),
  });
}

function uploadTokenRoute<Req>(settings: Settings<Req>): AuraRoute<Req> {
  return {
    method: 'POST',
    path: '/upload-token',
    maxBodyBytes: settings.maxBodyBytes,
    // The body is not read: the browser asks for a token, it does not choose its terms.
    handle: (req) =>
      answer(async () => {
        const auth = await authenticate(settings, req);
        if (!auth.ok) return auth.response;
        const limited = await checkRateLimit(settings, auth.user);
        if (limited !== undefined) return limited;
        const token = await settings.client(req).exchangeToken({
          scopes: [...settings.scopes],
          ...(settings.tokenTtl === undefined ? {} : { ttl: settings.tokenTtl }),
          ...(settings.maxUses === undefined ? {} : { maxUses: settings.maxUses }),
        });
        return tokenAnswer(token);
      }),
  };
}

/**
 * `/submit` and `/withdraw`: the signed-in user, `{ upload_id, <optional term> }` checked, then
 * the one client call. `readTerm` reads the route's optional field (`metadata`, `reason`).
 */
function manageRoute<Req, Term>(
  settings: Settings<Req>,
  path: '/submit' | '/withdraw',
  readTerm: (body: Record<string, unknown>) => Field<Term | undefined>,
  send: (client: AuraClient, uploadId: string, term: Term | undefined) => Promise<ManageResult>,
): AuraRoute<Req> {
  return {
    method: 'POST',
    path,
    maxBodyBytes: settings.maxBodyBytes,
    handle: (req, body) =>
      answer(async () => {
        const auth = await authenticate(settings, req);
        if (!auth.ok) return auth.response;
        const object = readObject(body, settings.maxBodyBytes);
        if (!object.ok) return object.response;
        const uploadId = requiredId(object.value, 'upload_id');
        if (!uploadId.ok) return uploadId.response;
        const term = readTerm(object.value);
        if (!term.ok) return term.response;
        return manageAnswer(await send(settings.client(req), uploadId.value, term.value));
      }),
  };
}

function submitRoute<Req>(settings: Settings<Req>): AuraRoute<Req> {
  return manageRoute(
    settings,
    '/submit',
    (body) => optionalObject(body, 'metadata'),
    (client, uploadId, metadata) =>
      client.submit({ uploadId, ...(metadata === undefined ? {} : { metadata }) }),
  );
}

function withdrawRoute<Req>(settings: Settings<Req>): AuraRoute<Req> {
  return manageRoute(
    settings,
    '/withdraw',
    (body) => optionalString(body, 'reason'),
    (client, uploadId, reason) =>
      client.withdraw({ uploadId, ...(reason === undefined ? {} : { reason }) }),
  );
}

/** `POST /exchange` `{ ttl?, scopes?, max_uses? }`: the Django example's view, scopes allow-listed. */
function exchangeRoute<Req>(settings: Settings<Req>, allowed: AuraScope[]): AuraRoute<Req> {
  return {
    method: 'POST',
    path: '/exchange',
    maxBodyBytes: settings.maxBodyBytes,
    handle: (req, body) =>
      answer(async () => {
        const auth = await authenticate(settings, req);
        if (!auth.ok) return auth.response;
        const object = readObject(body, settings.maxBodyBytes);
        if (!object.ok) return object.response;
        const { ttl, scopes, max_uses: maxUses } = object.value;
        const ceiling = settings.tokenTtl ?? MAX_TOKEN_TTL;
        if (ttl !== undefined && !positiveInteger(ttl, ceiling)) {
          return invalid(`ttl must be whole seconds from 1 to ${ceiling}`).response;
        }
        if (maxUses !== undefined && !positiveInteger(maxUses)) {
          return invalid('max_uses must be a positive whole number').response;
        }
        let granted = allowed;
        if (scopes !== undefined) {
          if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) {
            return invalid('scopes must be a list of scope names').response;
          }
          const refused = scopes.filter((s) => !allowed.includes(s));
          if (refused.length > 0) {
            return errorResponse(
              403,
              'scope_not_allowed',
              `these scopes may not be requested here: ${refused.join(', ').slice(0, 200)}`,
            );
          }
          if (scopes.length === 0) return invalid('scopes must not be empty').response;
          granted = scopes as AuraScope[];
        }
        const limited = await checkRateLimit(settings, auth.user);
        if (limited !== undefined) return limited;
        const token = await settings.client(req).exchangeToken({
          scopes: [...granted],
          ...(ttl !== undefined
            ? { ttl: ttl as number }
            : settings.tokenTtl === undefined
              ? {}
              : { ttl: settings.tokenTtl }),
          ...(maxUses !== undefined
            ? { maxUses: maxUses as number }
            : settings.maxUses === undefined
              ? {}
              : { maxUses: settings.maxUses }),
        });
        return tokenAnswer(token);
      }),
  };
}

/**
 * The routes, their options checked now: no `authorize` without `allowAnonymous`, scopes lacking
 * one the uploader needs, `maxUses` below 5, a bad limit, or an incomplete client configuration
 * each throw a `configuration` `AuraError` saying why, when the app is assembled.
 */
export function createAuraRoutes<Req>(options: AuraRoutesOptions<Req>): AuraRoute<Req>[] {
  const settings = settle(options);
  const routes = [uploadTokenRoute(settings), submitRoute(settings), withdrawRoute(settings)];
  if (settings.exchangeScopes !== undefined) {
    routes.push(exchangeRoute(settings, settings.exchangeScopes));
  }
  return routes;
}
