/**
 * The conformance suite every adapter runs: the scenarios of issue 11, written once, against a
 * real `startSandbox()`. An adapter's test supplies only `mount()`, which builds a real server
 * from the adapter's public API (see README.md for the contract).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AURA_ENV_VARIABLES,
  AuraClient,
  type AuraClientOptions,
  MemoryNonceStore,
} from '@aura/core';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Answer, call, rawRequest, signedCall, signedParts } from './http';
import { type Mount, type Mounted, type MountSetup, PATHS } from './mount';

/** The scenarios by id, for `skip`. */
export type ScenarioId =
  | 'attach'
  | 'upload-token'
  | 'rate-limit'
  | 'submit-withdraw'
  | 'aura-refusals'
  | 'inbound'
  | 'inbound-respaced'
  | 'inbound-duplicate-authorization'
  | 'inbound-too-large'
  | 'raw-body-unavailable'
  | 'aura-unreachable'
  | 'from-env'
  | 'bad-env';

export interface ConformanceOptions {
  /** Shown in the suite's title, e.g. `express 5`. */
  name: string;
  mount: Mount;
  /** Scenarios this adapter cannot run, each with the reason (shown as a skipped test). */
  skip?: Partial<Record<ScenarioId, string>>;
}

/** Inbound callers: `partner` may call, `outsider` has a key but is not in `only`. */
export const INBOUND_APPS = {
  partner: { appId: 'partner-service', appSecret: 'partner-service-secret-0123456789' },
  outsider: { appId: 'outsider-service', appSecret: 'outsider-service-secret-0123456789' },
} as const;
/** The per-user limit the suite mounts the routes with. */
export const RATE_LIMIT = { max: 3, windowMs: 60_000 } as const;
/** The inbound body cap the suite mounts the verifier with. */
export const MAX_BODY_BYTES = 16_384;

const STACK_LINE = /\n\s+at .+(:\d+:\d+|\(native\))/;

function uniqueUser(): string {
  return `user-${randomUUID().slice(0, 8)}`;
}

/** An answer a browser or partner may read: an error object, no stack, no credential. */
function expectSafeError(
  answer: Answer,
  sandbox: Sandbox,
  status: number[] | number,
  code?: string,
) {
  const statuses = Array.isArray(status) ? status : [status];
  expect(statuses, answer.text).toContain(answer.status);
  expect(answer.body, answer.text).toEqual({
    error: { code: code ?? expect.any(String), message: expect.any(String) },
  });
  expect(answer.text).not.toMatch(STACK_LINE);
  for (const secret of [
    sandbox.credentials.appSecret,
    sandbox.credentials.apiKey,
    INBOUND_APPS.partner.appSecret,
    INBOUND_APPS.outsider.appSecret,
  ]) {
    expect(answer.text).not.toContain(secret);
  }
  expect(answer.text).not.toMatch(/aubt_[A-Za-z0-9]/);
}

/** A port that was just free and now refuses connections: Aura "unreachable". */
async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/api`;
}

/**
 * Declares the suite (vitest `describe` / `it`): one sandbox for the whole suite, reset before
 * each test; the standard app mounted once; the variants mounted by the tests that need them.
 */
export function runAuraConformance(options: ConformanceOptions): void {
  const { name, mount, skip = {} } = options;

  describe(`@aura conformance: ${name}`, () => {
    let sandbox: Sandbox;
    let app: Mounted;
    const opened: Mounted[] = [];

    function clientOptions(overrides: Partial<AuraClientOptions> = {}): AuraClientOptions {
      return {
        baseUrl: sandbox.apiUrl,
        appId: sandbox.credentials.appId,
        appSecret: sandbox.credentials.appSecret,
        apiKey: sandbox.credentials.apiKey,
        // The sandbox forgets tokens on every reset: allow the re-exchanges that causes.
        reauthBudget: { max: 1_000, windowMs: 60_000 },
        retry: { attempts: 1 },
        timeoutMs: 5_000,
        ...overrides,
      };
    }

    function setup(overrides: Partial<MountSetup> = {}): MountSetup {
      return {
        variant: 'standard',
        client: clientOptions(),
        userFrom: (header) => {
          const value = Array.isArray(header) ? header[0] : header;
          return typeof value === 'string' && value !== '' ? { id: value } : null;
        },
        routes: { rateLimit: { ...RATE_LIMIT } },
        verify: {
          secrets: {
            [INBOUND_APPS.partner.appId]: INBOUND_APPS.partner.appSecret,
            [INBOUND_APPS.outsider.appId]: INBOUND_APPS.outsider.appSecret,
          },
          only: [INBOUND_APPS.partner.appId],
          maxBodyBytes: MAX_BODY_BYTES,
          nonceStore: new MemoryNonceStore(),
        },
        ...overrides,
      };
    }

    /** Mounts a variant for one test; closed after the suite. */
    async function mountVariant(overrides: Partial<MountSetup>): Promise<Mounted> {
      const mounted = await mount(setup(overrides));
      opened.push(mounted);
      return mounted;
    }

    const scenario = (id: ScenarioId, title: string, run: () => Promise<void>) => {
      const reason = skip[id];
      if (reason !== undefined) it.skip(`${title} (skipped: ${reason})`, run);
      else it(title, run);
    };

    beforeAll(async () => {
      sandbox = await startSandbox({
        // The suite tests the adapter's own per-user limit, not the sandbox's per-app ones.
        rateLimits: { exchange: 10_000, config: 10_000, lifecycle: 10_000 },
      });
      app = await mount(setup());
    });

    afterAll(async () => {
      await Promise.allSettled([app?.close(), ...opened.map((m) => m.close())]);
      await sandbox?.close();
    });

    beforeEach(async () => {
      await sandbox.reset();
    });

    const routeUrl = (path: string) => `${app.url}${PATHS.routes}${path}`;
    const hook = (call: Omit<Parameters<typeof signedCall>[1], 'path'> & { path?: string }) =>
      signedCall(app.url, { path: PATHS.hook, ...call });
    const event = '{"event":"upload.completed","upload_id":"u-1"}';

    // ---- attach + token guard -------------------------------------------------------------

    scenario('attach', 'attaches the client and guards a route with a token', async () => {
      const answer = await call(app.url + PATHS.config);
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body).toMatchObject({
        lift: { endpoint: `${sandbox.url}/files/` },
        mode: 'bulk',
      });
      // The token came from a real, verified exchange with the sandbox.
      expect(
        sandbox.requests().some((r) => r.path === '/api/auth/exchange' && r.status === 200),
      ).toBe(true);
    });

    // ---- upload-token ---------------------------------------------------------------------

    scenario(
      'upload-token',
      'POST /upload-token answers exactly { token, expires_at, scopes }',
      async () => {
        const answer = await call(routeUrl('/upload-token'), {
          method: 'POST',
          user: uniqueUser(),
        });
        expect(answer.status, answer.text).toBe(200);
        const body = answer.body as Record<string, unknown>;
        expect(Object.keys(body).sort()).toEqual(['expires_at', 'scopes', 'token']);
        expect(body.token).toMatch(/^aubt_/);
        expect(new Date(body.expires_at as string).toISOString()).toBe(body.expires_at);
        expect([...(body.scopes as string[])].sort()).toEqual([
          'integration:read',
          'upload:init',
          'upload:manage',
        ]);
        // The token works for what the browser uploader does first.
        const config = await fetch(`${sandbox.apiUrl}/uploader/config`, {
          headers: {
            authorization: `Bearer ${body.token}`,
            'x-api-key': sandbox.credentials.apiKey,
          },
        });
        expect(config.status).toBe(200);
      },
    );

    scenario('upload-token', 'POST /upload-token answers 401 without a user', async () => {
      const answer = await call(routeUrl('/upload-token'), { method: 'POST' });
      expectSafeError(answer, sandbox, 401, 'unauthorized');
      expect(sandbox.requests().filter((r) => r.path === '/api/auth/exchange')).toHaveLength(0);
    });

    scenario(
      'rate-limit',
      'limits each user with 429 + Retry-After; another user is unaffected',
      async () => {
        const user = uniqueUser();
        for (let i = 0; i < RATE_LIMIT.max; i++) {
          const ok = await call(routeUrl('/upload-token'), { method: 'POST', user });
          expect(ok.status, ok.text).toBe(200);
        }
        const limited = await call(routeUrl('/upload-token'), { method: 'POST', user });
        expectSafeError(limited, sandbox, 429, 'rate_limited');
        const retryAfter = limited.headers.get('retry-after') ?? '';
        expect(retryAfter).toMatch(/^\d+$/);
        expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
        expect(Number(retryAfter)).toBeLessThanOrEqual(RATE_LIMIT.windowMs / 1000);
        const other = await call(routeUrl('/upload-token'), { method: 'POST', user: uniqueUser() });
        expect(other.status, other.text).toBe(200);
      },
    );

    // ---- submit and withdraw --------------------------------------------------------------

    scenario(
      'submit-withdraw',
      'submit and withdraw answer 400 on bad JSON or a missing upload_id',
      async () => {
        const user = uniqueUser();
        for (const path of ['/submit', '/withdraw']) {
          const badJson = await call(routeUrl(path), {
            method: 'POST',
            user,
            headers: { 'content-type': 'application/json' },
            body: '{"upload_id":',
          });
          expectSafeError(badJson, sandbox, 400);
          expect(['invalid_json', 'invalid_request']).toContain(
            (badJson.body as { error: { code: string } }).error.code,
          );
          const missing = await call(routeUrl(path), {
            method: 'POST',
            user,
            headers: { 'content-type': 'application/json' },
            body: '{"reason":"x"}',
          });
          expectSafeError(missing, sandbox, 400, 'invalid_request');
          expect((missing.body as { error: { message: string } }).error.message).toContain(
            'upload_id',
          );
          const anonymous = await call(routeUrl(path), {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"upload_id":"u"}',
          });
          expectSafeError(anonymous, sandbox, 401, 'unauthorized');
        }
      },
    );

    scenario(
      'aura-refusals',
      "submit and withdraw keep Aura's 409 and 404 with Aura's code",
      async () => {
        const user = uniqueUser();
        const unknown = await call(routeUrl('/submit'), {
          method: 'POST',
          user,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ upload_id: randomUUID() }),
        });
        expectSafeError(unknown, sandbox, 404, 'upload_not_found');

        // An upload that was initialised but never completed cannot be submitted or withdrawn.
        const client = new AuraClient(clientOptions());
        const uploadId = randomUUID();
        await client.initUpload({
          uploadId,
          studies: {
            '1.2.840.113619.2.55.3.1': { patient_name: 'Test^Patient', modalities: ['CT'] },
          },
        });
        for (const path of ['/submit', '/withdraw']) {
          const early = await call(routeUrl(path), {
            method: 'POST',
            user,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ upload_id: uploadId }),
          });
          expectSafeError(early, sandbox, 409, 'invalid_state');
        }
      },
    );

    // ---- inbound verification --------------------------------------------------------------

    scenario(
      'inbound',
      'a valid signed call reaches the handler with the caller and the parsed body',
      async () => {
        const answer = await hook({ body: event, credentials: INBOUND_APPS.partner });
        expect(answer.status, answer.text).toBe(200);
        expect(answer.body).toEqual({ from: INBOUND_APPS.partner.appId, got: JSON.parse(event) });
      },
    );

    scenario(
      'inbound',
      'refuses a replay, a changed byte, a changed path, no signature, a wrong key',
      async () => {
        const parts = await signedParts(app.url, {
          path: PATHS.hook,
          body: event,
          credentials: INBOUND_APPS.partner,
        });
        const send = () =>
          call(app.url + PATHS.hook, {
            method: 'POST',
            headers: parts.headers,
            body: parts.bytes,
          });
        expect((await send()).status).toBe(200);
        expectSafeError(await send(), sandbox, 401, 'replayed_nonce');

        const changed = await hook({
          body: event,
          credentials: INBOUND_APPS.partner,
          tamper: (bytes) => {
            const at = bytes.length - 3;
            bytes[at] = (bytes[at] ?? 0) ^ 1;
            return bytes;
          },
        });
        expectSafeError(changed, sandbox, 401, 'invalid_signature');

        const moved = await hook({
          path: '/hooks/other',
          sendTo: PATHS.hook,
          body: event,
          credentials: INBOUND_APPS.partner,
        });
        expectSafeError(moved, sandbox, 401, 'invalid_signature');

        const unsigned = await call(app.url + PATHS.hook, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: event,
        });
        expectSafeError(unsigned, sandbox, 401, 'missing_authorization');

        const wrongKey = await hook({
          body: event,
          credentials: { appId: INBOUND_APPS.partner.appId, appSecret: 'not-the-partner-secret' },
        });
        expectSafeError(wrongKey, sandbox, 401, 'invalid_signature');

        const outsider = await hook({ body: event, credentials: INBOUND_APPS.outsider });
        expectSafeError(outsider, sandbox, 403, 'app_not_allowed');
      },
    );

    scenario(
      'inbound-respaced',
      'verifies from the raw bytes: unusual spacing still verifies',
      async () => {
        const spaced = '{\n  "event" :   "upload.completed" ,\t"upload_id":"u-1"   }\n';
        const answer = await hook({ body: spaced, credentials: INBOUND_APPS.partner });
        expect(answer.status, answer.text).toBe(200);
        expect(answer.body).toEqual({ from: INBOUND_APPS.partner.appId, got: JSON.parse(spaced) });
      },
    );

    scenario(
      'inbound-duplicate-authorization',
      'refuses a duplicate Authorization header with 400',
      async () => {
        const parts = await signedParts(app.url, {
          path: PATHS.hook,
          body: event,
          credentials: INBOUND_APPS.partner,
        });
        const authorization = parts.headers.Authorization as string;
        const answer = await rawRequest(app.url, {
          method: 'POST',
          path: PATHS.hook,
          headers: { ...parts.headers, Authorization: [authorization, authorization] },
          body: parts.bytes,
        });
        expectSafeError(answer, sandbox, 400, 'duplicate_header');
      },
    );

    scenario('inbound-too-large', 'answers 413 body_too_large past the body limit', async () => {
      const big = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) });
      const answer = await hook({ body: big, credentials: INBOUND_APPS.partner });
      expectSafeError(answer, sandbox, 413, 'body_too_large');
    });

    scenario(
      'raw-body-unavailable',
      'answers 500 raw_body_unavailable when a parser consumed the body',
      async () => {
        const consumed = await mountVariant({ variant: 'body-consumed' });
        const answer = await signedCall(consumed.url, {
          path: PATHS.hook,
          body: event,
          credentials: INBOUND_APPS.partner,
        });
        expectSafeError(answer, sandbox, 500, 'raw_body_unavailable');
      },
    );

    // ---- Aura unreachable -------------------------------------------------------------------

    scenario(
      'aura-unreachable',
      'Aura unreachable or down → 502/503 with a code, no stack or secret',
      async () => {
        const offline = await mountVariant({
          client: clientOptions({ baseUrl: await closedPortUrl() }),
        });
        const token = await call(`${offline.url}${PATHS.routes}/upload-token`, {
          method: 'POST',
          user: uniqueUser(),
        });
        expectSafeError(token, sandbox, 502, 'aura_unreachable');
        const guarded = await call(offline.url + PATHS.config);
        expectSafeError(guarded, sandbox, 502, 'aura_unreachable');

        sandbox.fault({ path: '/api/auth/exchange', status: 503, retryAfter: 2, times: 5 });
        const down = await call(routeUrl('/upload-token'), { method: 'POST', user: uniqueUser() });
        expectSafeError(down, sandbox, [502, 503]);
      },
    );

    // ---- configuration from the environment ---------------------------------------------------

    function stubAuraEnv(values: Record<string, string | undefined>) {
      for (const variable of AURA_ENV_VARIABLES) vi.stubEnv(variable.name, values[variable.name]);
    }

    scenario(
      'from-env',
      'reads the client from AURA_* at start-up when no client is given',
      async () => {
        stubAuraEnv({
          AURA_BASE_URL: sandbox.apiUrl,
          AURA_APP_ID: sandbox.credentials.appId,
          AURA_APP_SECRET: sandbox.credentials.appSecret,
          AURA_API_KEY: sandbox.credentials.apiKey,
        });
        try {
          const fromEnv = await mountVariant({ variant: 'from-env', client: undefined });
          const answer = await call(`${fromEnv.url}${PATHS.routes}/upload-token`, {
            method: 'POST',
            user: uniqueUser(),
          });
          expect(answer.status, answer.text).toBe(200);
        } finally {
          vi.unstubAllEnvs();
        }
      },
    );

    scenario('bad-env', 'a bad environment fails at start-up, naming each variable', async () => {
      stubAuraEnv({ AURA_BASE_URL: 'not a url', AURA_APP_SECRET: 'aura_sk_must_not_show' });
      let error: unknown;
      try {
        const mounted = await mountVariant({ variant: 'from-env', client: undefined });
        // Started anyway: the first request would be too late, but show what it answered.
        const answer = await call(`${mounted.url}${PATHS.routes}/upload-token`, {
          method: 'POST',
          user: uniqueUser(),
        });
        error = new Error(`the app started with a bad environment (answered ${answer.status})`);
      } catch (caught) {
        error = caught;
      } finally {
        vi.unstubAllEnvs();
      }
      const message = error instanceof Error ? error.message : String(error);
      expect((error as { code?: unknown }).code, message).toBe('configuration');
      for (const variable of ['AURA_BASE_URL', 'AURA_APP_ID', 'AURA_API_KEY']) {
        expect(message).toContain(variable);
      }
      expect(message).not.toContain('aura_sk_must_not_show');
    });
  });
}
