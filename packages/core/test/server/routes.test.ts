import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AURA_ENV_VARIABLES,
  AuraClient,
  type AuraRoute,
  type AuraRoutesOptions,
  createAuraRoutes,
  isAuraError,
  MemoryRateLimitStore,
  type RateLimitStore,
} from '../../src/index';
import { clientFor } from '../client/helpers';
import { startTestServer, type TestServer } from '../support/aura-server';

/** The framework request of these tests: just who is signed in. */
interface Req {
  user?: { id: string } | null;
}

let server: TestServer;
let client: AuraClient;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.hook = undefined;
  server.requests.length = 0;
  client = clientFor(server);
});

function routes(options: Partial<AuraRoutesOptions<Req>> = {}) {
  const list = createAuraRoutes<Req>({ authorize: (req) => req.user ?? null, client, ...options });
  const byPath = (path: AuraRoute<Req>['path']) => {
    const route = list.find((r) => r.path === path);
    if (route === undefined) throw new Error(`no ${path}`);
    return route;
  };
  return { list, byPath };
}

const alice: Req = { user: { id: 'alice' } };
const bob: Req = { user: { id: 'bob' } };
const json = (value: unknown) => ({ raw: new TextEncoder().encode(JSON.stringify(value)) });

/** Runs `work` with every AURA_* variable unset, whatever the machine's environment holds. */
function withoutAuraEnv(work: () => void | Promise<void>) {
  for (const name of AURA_ENV_VARIABLES.map((v) => v.name)) vi.stubEnv(name, undefined);
  try {
    return work();
  } finally {
    vi.unstubAllEnvs();
  }
}

function configurationError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    expect(isAuraError(error, 'configuration')).toBe(true);
    return error as Error;
  }
  throw new Error('expected a configuration error');
}

describe('createAuraRoutes: start-up checks', () => {
  it('mounts upload-token, submit and withdraw, and exchange only when asked', () => {
    expect(routes().list.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /upload-token',
      'POST /submit',
      'POST /withdraw',
    ]);
    expect(routes({ exposeExchange: true }).list.map((r) => r.path)).toContain('/exchange');
  });

  it('refuses to start without authorize unless allowAnonymous is set', () => {
    expect(configurationError(() => createAuraRoutes({ client })).message).toMatch(
      /authorize is required.*allowAnonymous: true/s,
    );
    expect(createAuraRoutes({ client, allowAnonymous: true })).toHaveLength(3);
  });

  it('refuses scopes lacking one the uploader needs, and maxUses below 5, saying why', () => {
    const scopes = configurationError(() =>
      routes({ scopes: ['upload:init', 'upload:manage'] }),
    ).message;
    expect(scopes).toMatch(/scopes lack integration:read/);
    expect(scopes).toMatch(/GET \/uploader\/config/);
    expect(configurationError(() => routes({ maxUses: 4 })).message).toMatch(
      /maxUses is 4, below 5/,
    );
    expect(routes({ maxUses: 5 }).list).toHaveLength(3);
  });

  it('refuses bad limits, ttl and body caps', () => {
    expect(configurationError(() => routes({ rateLimit: { max: 0 } })).message).toMatch(
      /rateLimit.max/,
    );
    expect(configurationError(() => routes({ rateLimit: { windowMs: 1.5 } })).message).toMatch(
      /rateLimit.windowMs/,
    );
    expect(configurationError(() => routes({ tokenTtl: 90_000 })).message).toMatch(/tokenTtl/);
    expect(configurationError(() => routes({ maxBodyBytes: 0 })).message).toMatch(/maxBodyBytes/);
  });

  it('fails at start-up, naming each variable, when the environment is incomplete', () => {
    withoutAuraEnv(() => {
      const error = configurationError(() => createAuraRoutes<Req>({ authorize: () => null }));
      for (const name of ['AURA_BASE_URL', 'AURA_APP_ID', 'AURA_APP_SECRET', 'AURA_API_KEY']) {
        expect(error.message).toContain(name);
      }
    });
  });
});

describe('POST /upload-token', () => {
  it('answers exactly { token, expires_at, scopes }, asking Aura for the uploader scopes', async () => {
    const response = await routes({ maxUses: 20, tokenTtl: 600 })
      .byPath('/upload-token')
      .handle(alice, {
        raw: undefined,
      });
    expect(response.status).toBe(200);
    const body = response.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['expires_at', 'scopes', 'token']);
    expect(body.token).toMatch(/^aubt_/);
    expect(new Date(body.expires_at as string).toISOString()).toBe(body.expires_at);
    expect(body.scopes).toEqual(['upload:init', 'upload:manage', 'integration:read']);
    const sent = server.seen('/auth/exchange')[0]!.json;
    expect(sent).toEqual({
      ttl: 600,
      scopes: ['upload:init', 'upload:manage', 'integration:read'],
      max_uses: 20,
    });
  });

  it('answers 401 without a user, and does not call Aura', async () => {
    const response = await routes()
      .byPath('/upload-token')
      .handle({ user: null }, { raw: undefined });
    expect(response).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(server.seen('/auth/exchange')).toHaveLength(0);
  });

  it('limits each user, answering 429 with Retry-After in whole seconds; others go on', async () => {
    const route = routes({ rateLimit: { max: 2, windowMs: 30_000 } }).byPath('/upload-token');
    expect((await route.handle(alice, { raw: undefined })).status).toBe(200);
    expect((await route.handle(alice, { raw: undefined })).status).toBe(200);
    const limited = await route.handle(alice, { raw: undefined });
    expect(limited).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
    expect(limited.headers['retry-after']).toMatch(/^([1-9]|[12]\d|30)$/);
    expect((await route.handle(bob, { raw: undefined })).status).toBe(200);
    expect(server.seen('/auth/exchange')).toHaveLength(3);
  });

  it('fails closed with 503 when the rate-limit store fails', async () => {
    const broken: RateLimitStore = { increment: () => Promise.reject(new Error('redis down')) };
    const response = await routes({ rateLimit: { store: broken } })
      .byPath('/upload-token')
      .handle(alice, { raw: undefined });
    expect(response).toMatchObject({
      status: 503,
      body: { error: { code: 'rate_limit_unavailable' } },
    });
    expect(JSON.stringify(response)).not.toContain('redis down');
  });

  it('keys users by id, sub or email, and refuses a user it cannot key', async () => {
    const store = new MemoryRateLimitStore();
    const keys: string[] = [];
    const spy: RateLimitStore = {
      increment: (key, windowMs) => {
        keys.push(key);
        return store.increment(key, windowMs);
      },
    };
    const anyUser = (user: unknown) =>
      createAuraRoutes<unknown>({ authorize: () => user, client, rateLimit: { store: spy } })[0]!;
    await anyUser({ sub: 's1' }).handle({}, { raw: undefined });
    await anyUser({ email: 'e@x' }).handle({}, { raw: undefined });
    await anyUser('plain').handle({}, { raw: undefined });
    expect(keys).toEqual(['upload-token:s1', 'upload-token:e@x', 'upload-token:plain']);
    const unkeyed = await anyUser({ name: 'no id' }).handle({}, { raw: undefined });
    expect(unkeyed.status).toBe(500);
  });

  it('lets a user-supplied authorize error reach the app (it is not an Aura error)', async () => {
    const route = createAuraRoutes<Req>({
      client,
      authorize: () => {
        throw new Error('session store down');
      },
    })[0]!;
    await expect(route.handle(alice, { raw: undefined })).rejects.toThrow('session store down');
  });

  it('maps Aura refusing the exchange without leaking the secret or the key', async () => {
    const bad = new AuraClient({
      ...server.credentials,
      baseUrl: server.apiUrl,
      appSecret: 'wrong-secret-value',
    });
    const response = await routes({ client: bad })
      .byPath('/upload-token')
      .handle(alice, { raw: undefined });
    expect(response).toMatchObject({ status: 502, body: { error: { code: 'aura_auth_failed' } } });
    const text = JSON.stringify(response);
    expect(text).not.toContain('wrong-secret-value');
    expect(text).not.toContain(server.credentials.apiKey);
    expect(text).not.toMatch(/\bat .+:\d+:\d+/);
  });
});

describe('POST /submit and /withdraw', () => {
  it('submit passes upload_id and metadata to Aura and answers its result', async () => {
    const response = await routes()
      .byPath('/submit')
      .handle(alice, json({ upload_id: 'u1', metadata: { a: 1 } }));
    expect(response).toEqual({
      status: 200,
      headers: {},
      body: { success: true, upload_id: 'u1', status: 'submitted' },
    });
    expect(server.seen('/uploader/manage/submit')[0]!.json).toEqual({
      upload_id: 'u1',
      metadata: { a: 1 },
    });
  });

  it('withdraw passes upload_id and reason; a body the framework parsed is used as is', async () => {
    const response = await routes()
      .byPath('/withdraw')
      .handle(alice, { parsed: { upload_id: 'u2', reason: 'dup' } });
    expect(response.body).toEqual({
      success: true,
      upload_id: 'u2',
      status: 'withdrawn',
      message: 'ok',
    });
    expect(server.seen('/uploader/manage/withdraw')[0]!.json).toEqual({
      upload_id: 'u2',
      reason: 'dup',
    });
  });

  it('answers 400 naming the field for bad JSON, a missing upload_id and bad types', async () => {
    const { byPath } = routes();
    const cases: Array<[AuraRoute<Req>, Parameters<AuraRoute<Req>['handle']>[1], RegExp]> = [
      [byPath('/submit'), { raw: '{"upload_id":' }, /not valid JSON/],
      [byPath('/submit'), json({}), /upload_id is required/],
      [byPath('/submit'), { raw: undefined }, /upload_id is required/],
      [byPath('/submit'), json({ upload_id: 7 }), /upload_id is required/],
      [byPath('/submit'), json({ upload_id: 'u', metadata: [1] }), /metadata must be an object/],
      [byPath('/submit'), json([1]), /must be a JSON object/],
      [byPath('/withdraw'), json({ upload_id: ' ' }), /upload_id is required/],
      [byPath('/withdraw'), json({ upload_id: 'u', reason: 5 }), /reason must be a string/],
      [byPath('/withdraw'), { parsed: 'text' }, /must be a JSON object/],
    ];
    for (const [route, body, message] of cases) {
      const response = await route.handle(alice, body);
      expect(response.status, String(message)).toBe(400);
      expect((response.body as { error: { message: string } }).error.message).toMatch(message);
    }
    expect(server.seen('/uploader/manage/submit')).toHaveLength(0);
  });

  it('answers 413 for a raw body over maxBodyBytes', async () => {
    const response = await routes({ maxBodyBytes: 10 })
      .byPath('/submit')
      .handle(alice, json({ upload_id: 'long-enough' }));
    expect(response.status).toBe(413);
  });

  it("keeps Aura's 409 and 404 with Aura's own code", async () => {
    server.hook = (seen) =>
      seen.path === '/api/uploader/manage/submit'
        ? {
            status: 409,
            body: { error: { code: 'invalid_state', message: 'upload is not completed' } },
          }
        : seen.path === '/api/uploader/manage/withdraw'
          ? {
              status: 404,
              body: { error: { code: 'upload_not_found', message: 'no such upload' } },
            }
          : undefined;
    const { byPath } = routes();
    expect(await byPath('/submit').handle(alice, json({ upload_id: 'u' }))).toMatchObject({
      status: 409,
      body: { error: { code: 'invalid_state', message: 'upload is not completed' } },
    });
    expect(await byPath('/withdraw').handle(alice, json({ upload_id: 'u' }))).toMatchObject({
      status: 404,
      body: { error: { code: 'upload_not_found' } },
    });
  });

  it('answers 401 without a user', async () => {
    expect(
      (
        await routes()
          .byPath('/submit')
          .handle({}, json({ upload_id: 'u' }))
      ).status,
    ).toBe(401);
  });
});

describe('POST /exchange (exposeExchange)', () => {
  it('grants only allow-listed scopes and checks ttl and max_uses', async () => {
    const route = routes({ exposeExchange: true, exchangeScopes: ['upload:init'] }).byPath(
      '/exchange',
    );
    const ok = await route.handle(alice, json({ scopes: ['upload:init'], ttl: 60, max_uses: 9 }));
    expect(ok.status).toBe(200);
    expect(server.seen('/auth/exchange')[0]!.json).toEqual({
      ttl: 60,
      scopes: ['upload:init'],
      max_uses: 9,
    });
    expect(await route.handle(alice, json({ scopes: ['upload:manage'] }))).toMatchObject({
      status: 403,
      body: { error: { code: 'scope_not_allowed' } },
    });
    expect((await route.handle(alice, json({ ttl: 0 }))).status).toBe(400);
    expect((await route.handle(alice, json({ max_uses: 'x' }))).status).toBe(400);
    const fallback = await route.handle(alice, { raw: undefined });
    expect((fallback.body as { scopes: string[] }).scopes).toEqual(['upload:init']);
  });
});

describe('client resolution per request (getClient)', () => {
  it('uses the client the adapter attached', async () => {
    const list = createAuraRoutes<Req & { aura?: AuraClient }>({
      authorize: (req) => req.user ?? null,
      getClient: (req) => req.aura,
    });
    const response = await list[0]!.handle({ ...alice, aura: client }, { raw: undefined });
    expect(response.status).toBe(200);
    // Without one attached, the environment is read then (and, here, found incomplete).
    await withoutAuraEnv(async () => {
      expect((await list[0]!.handle(alice, { raw: undefined })).body).toMatchObject({
        error: { code: 'aura_not_configured' },
      });
    });
  });
});
