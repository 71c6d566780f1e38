import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AuraApiError,
  AuraClient,
  AuraError,
  auraErrorResponse,
  ensureAuraToken,
  type NeutralResponse,
  resolveAuraClient,
} from '../../src/index';
import { caught, clientFor } from '../client/helpers';
import { startTestServer, type TestServer } from '../support/aura-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.hook = undefined;
});

/** What a browser would read: no stack, no secret, no token, no signature. */
function expectSafe(response: NeutralResponse | undefined, ...secrets: string[]) {
  const text = JSON.stringify(response);
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toMatch(/aubt_|aura_sk_|[0-9a-f]{64}/);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('auraErrorResponse', () => {
  it('answers undefined for anything that is not an AuraError', () => {
    expect(auraErrorResponse(new Error('boom'))).toBeUndefined();
    expect(auraErrorResponse('text')).toBeUndefined();
    expect(auraErrorResponse(null)).toBeUndefined();
  });

  it("keeps Aura's 4xx status and its own code, from a real answer", async () => {
    server.hook = (seen) =>
      seen.path === '/api/uploader/manage/submit'
        ? {
            status: 409,
            body: {
              error: { code: 'invalid_state', message: `not completed ${server.issued[0]}` },
            },
          }
        : undefined;
    const error = await caught(clientFor(server).submit({ uploadId: 'u1' }));
    const response = auraErrorResponse(error);
    expect(response).toMatchObject({ status: 409, body: { error: { code: 'invalid_state' } } });
    expect((response!.body as { error: { message: string } }).error.message).toMatch(
      /^not completed/,
    );
    expectSafe(response, server.credentials.appSecret, server.credentials.apiKey);
  });

  it('keeps a 429 with Retry-After, and a 422 with a code', () => {
    const limited = new AuraApiError('api', 'Aura answered 429', {
      status: 429,
      body: { error: { code: 'rate_limited', message: 'slow down' } },
      apiCode: 'rate_limited',
      retryAfter: 7,
      method: 'POST',
      path: '/auth/exchange',
    });
    expect(auraErrorResponse(limited)).toMatchObject({
      status: 429,
      headers: { 'retry-after': '7' },
      body: { error: { code: 'rate_limited', message: 'slow down' } },
    });
    const invalid = new AuraApiError('api', 'x', {
      status: 422,
      body: { message: 'The given data was invalid.', errors: { ttl: ['too long'] } },
      method: 'POST',
      path: '/auth/exchange',
    });
    expect(auraErrorResponse(invalid)).toMatchObject({
      status: 422,
      body: { error: { code: 'aura_request_refused' } },
    });
  });

  it("answers Aura's refusal of this server's credentials as 502, not the user's 401", async () => {
    const bad = new AuraClient({
      ...server.credentials,
      baseUrl: server.apiUrl,
      apiKey: 'aura_au_wrong_key',
    });
    const response = auraErrorResponse(await caught(bad.exchangeToken()));
    expect(response).toMatchObject({ status: 502, body: { error: { code: 'aura_auth_failed' } } });
    expectSafe(response, 'aura_au_wrong_key', server.credentials.appSecret);
  });

  it('answers Aura unreachable as 502 aura_unreachable, with no host detail or stack', async () => {
    const closed = await startTestServer();
    const apiUrl = closed.apiUrl;
    await closed.close();
    const client = new AuraClient({
      ...server.credentials,
      baseUrl: apiUrl,
      retry: { attempts: 1 },
    });
    const response = auraErrorResponse(await caught(client.exchangeToken()));
    expect(response).toEqual({
      status: 502,
      headers: {},
      body: {
        error: { code: 'aura_unreachable', message: 'Aura could not be reached; try again later' },
      },
    });
  });

  it('answers a timeout as 504 aura_timeout', async () => {
    server.hook = () =>
      new Promise((resolve) => setTimeout(() => resolve({ status: 200, body: {} }), 300));
    const client = clientFor(server, { timeoutMs: 50, retry: { attempts: 1 } });
    const response = auraErrorResponse(await caught(client.submit({ uploadId: 'u' })));
    expect(response).toMatchObject({ status: 504, body: { error: { code: 'aura_timeout' } } });
  });

  it("answers Aura's 5xx as 502, and 503 with its Retry-After", () => {
    const error = (status: number, retryAfter?: number) =>
      new AuraApiError('api', `Aura answered ${status}`, {
        status,
        body: 'upstream trace with aura_sk_leaked',
        method: 'GET',
        path: '/uploader/config',
        ...(retryAfter === undefined ? {} : { retryAfter }),
      });
    expect(auraErrorResponse(error(500))).toMatchObject({
      status: 502,
      body: { error: { code: 'aura_error' } },
    });
    const unavailable = auraErrorResponse(error(503, 4));
    expect(unavailable).toMatchObject({ status: 503, headers: { 'retry-after': '4' } });
    expectSafe(unavailable);
  });

  it('maps the SDK kinds to stable codes without their messages', () => {
    const cases: Array<[AuraError, number, string]> = [
      [
        new AuraError('reauth_budget_exhausted', 'x', { retryAfter: 30 }),
        503,
        'aura_reauth_budget_exhausted',
      ],
      [new AuraError('invalid_response', 'x'), 502, 'aura_invalid_response'],
      [
        new AuraError('configuration', 'AURA_APP_SECRET=aura_sk_abc is wrong'),
        500,
        'aura_not_configured',
      ],
      [
        new AuraError('invalid_argument', 'uploadId must be a non-empty string'),
        400,
        'invalid_request',
      ],
      [new AuraError('invalid_header', 'x'), 500, 'aura_error'],
    ];
    for (const [error, status, code] of cases) {
      const response = auraErrorResponse(error);
      expect(response, code).toMatchObject({ status, body: { error: { code } } });
      expectSafe(response, 'aura_sk_abc');
    }
    expect(auraErrorResponse(cases[0]![0])!.headers).toEqual({ 'retry-after': '30' });
  });
});

describe('ensureAuraToken', () => {
  it('answers undefined once the client holds a token', async () => {
    expect(await ensureAuraToken(clientFor(server))).toBeUndefined();
  });

  it('answers the mapped error when no token can be had', async () => {
    const bad = new AuraClient({
      ...server.credentials,
      baseUrl: server.apiUrl,
      appSecret: 'nope-nope',
    });
    expect(await ensureAuraToken(bad)).toMatchObject({
      status: 502,
      body: { error: { code: 'aura_auth_failed' } },
    });
  });
});

describe('resolveAuraClient', () => {
  const env = {
    AURA_BASE_URL: 'http://127.0.0.1:9/api',
    AURA_APP_ID: 'aura_pk_env',
    AURA_APP_SECRET: 'aura_sk_env_secret',
    AURA_API_KEY: 'aura_au_env_key',
  };

  it('answers a given client as is, and builds one from options', () => {
    const client = clientFor(server);
    expect(resolveAuraClient(client)).toBe(client);
    const built = resolveAuraClient({ baseUrl: server.apiUrl, ...server.credentials });
    expect(built).toBeInstanceOf(AuraClient);
    expect(built.appId).toBe(server.credentials.appId);
  });

  it('builds one client per environment configuration and reuses it', () => {
    const first = resolveAuraClient(undefined, env);
    expect(resolveAuraClient(undefined, { ...env })).toBe(first);
    expect(resolveAuraClient(undefined, { ...env, AURA_APP_ID: 'aura_pk_other' })).not.toBe(first);
  });

  it('throws one configuration error naming every missing variable, never a secret', () => {
    let error: unknown;
    try {
      resolveAuraClient(undefined, { AURA_APP_SECRET: 'aura_sk_dont_show' });
    } catch (caughtError) {
      error = caughtError;
    }
    expect(error).toBeInstanceOf(AuraError);
    const message = (error as Error).message;
    for (const name of ['AURA_BASE_URL', 'AURA_APP_ID', 'AURA_API_KEY'])
      expect(message).toContain(name);
    expect(message).not.toContain('aura_sk_dont_show');
  });

  it('refuses a source that is neither a client nor options', () => {
    expect(() => resolveAuraClient('nope' as never)).toThrow(/client must be/);
  });
});
