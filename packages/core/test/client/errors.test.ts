import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AuraApiError,
  AuraClient,
  AuraError,
  auraConfigFromEnv,
  isAuraError,
  signRequest,
} from '../../src/index';
import { startTestServer, type TestServer } from '../support/aura-server';
import { caught, clientFor } from './helpers';

// Anything shaped like an Aura credential, or the test server's own secret values.
const CREDENTIAL = /aura_au_|aura_sk_|aubt_|aulift_|eyJ/;

let server: TestServer;

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  await server.close();
});

/** Every way an error can be printed or serialised, concatenated. */
function everyForm(error: unknown): string {
  const e = error as AuraApiError;
  return [
    inspect(e, { depth: 20 }),
    inspect(e, { depth: 20, showHidden: true }),
    JSON.stringify(e),
    String(e),
    e.message,
    e.stack,
    inspect(e.cause, { depth: 20, showHidden: true }),
    inspect(e.details, { depth: 20 }),
    inspect(e.body, { depth: 20 }),
    JSON.stringify(e.body),
    inspect(e.errors, { depth: 20 }),
  ].join('\n');
}

/** A real server on 127.0.0.1 that answers every request with its own headers, like a proxy's error page. */
async function startReflector(
  answer: (headers: http.IncomingHttpHeaders, raw: string[]) => { status: number; body: string },
): Promise<{ url: string; close: () => Promise<void> }> {
  const reflector = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const { status, body } = answer(req.headers, req.rawHeaders);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => reflector.listen(0, '127.0.0.1', resolve));
  const { port } = reflector.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      reflector.closeAllConnections();
      await new Promise<void>((resolve) => reflector.close(() => resolve()));
    },
  };
}

describe('nothing secret in an error, however it is printed', () => {
  it('a body that reflects the request headers (JSON and text) is redacted', async () => {
    const client = clientFor(server);
    const token = await client.getAccessToken();
    server.hook = (req) => {
      if (req.path === '/api/json-echo') {
        return {
          status: 502,
          body: {
            message: 'upstream refused',
            request: { headers: req.headers, raw: req.rawHeaders },
            nested: [{ seen: `X-Api-Key: ${req.headers['x-api-key']}` }],
          },
        };
      }
      if (req.path === '/api/text-echo') {
        return {
          status: 502,
          body: req.rawHeaders.reduce(
            (text, value, i) => text + (i % 2 === 0 ? `${value}: ` : `${value}\n`),
            '',
          ),
          headers: { 'content-type': 'text/plain' },
        };
      }
      return undefined;
    };
    for (const path of ['/json-echo', '/text-echo']) {
      const error = await caught(client.request('GET', path));
      expect(isAuraError(error, 'api')).toBe(true);
      const printed = everyForm(error);
      expect(printed).not.toMatch(CREDENTIAL);
      expect(printed).not.toContain(token);
      expect(printed).not.toContain(server.credentials.apiKey);
      // What is not secret is still there to read.
      expect(printed).toContain('127.0.0.1');
    }
  });

  it('a reflecting server outside the client’s knowledge: secrets are redacted by pattern', async () => {
    // Credentials the client does not hold (another app's), echoed by a misbehaving proxy.
    const foreign = {
      key: 'aura_au_foreign_0123456789',
      token: 'aubt_0123456789abcdef0123456789abcdef',
      lift: 'aulift_0123456789abcdef',
      jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
    };
    const reflector = await startReflector((headers) => ({
      status: 401,
      body: JSON.stringify({
        error: { code: 'proxy_auth', message: `denied for Bearer ${foreign.token}` },
        echoed: headers,
        others: foreign,
        log: `x-api-key=${foreign.key}&lift=${foreign.lift} Authorization: Bearer ${foreign.jwt}`,
      }),
    }));
    try {
      const client = clientFor(server, { baseUrl: reflector.url });
      const error = await caught(client.request('POST', '/anything', { auth: 'hmac', body: {} }));
      expect(isAuraError(error, 'auth')).toBe(true);
      const printed = everyForm(error);
      expect(printed).not.toMatch(CREDENTIAL);
      for (const value of Object.values(foreign)) expect(printed).not.toContain(value);
      expect(printed).not.toContain(server.credentials.apiKey);
      expect(printed).not.toContain(server.credentials.appSecret);
      expect((error as AuraApiError).body).toMatchObject({ error: { code: 'proxy_auth' } });
    } finally {
      await reflector.close();
    }
  });

  it('the cause of a network error keeps no header value a failing fetch put in it', async () => {
    const seen: string[] = [];
    const client = clientFor(server, {
      retry: { attempts: 1 },
      fetch: async (input, init) => {
        const url = String(input);
        if (url.endsWith('/auth/exchange')) return fetch(input, init);
        const headers = init?.headers as Record<string, string>;
        seen.push(headers.Authorization!);
        // What some fetch wrappers do: the failed request, headers and all, in the error.
        const socket = Object.assign(
          new Error(`socket closed while sending X-Api-Key: ${headers['X-Api-Key']}`),
          { code: 'ECONNRESET', request: { headers } },
        );
        throw new TypeError(`fetch failed (${headers.Authorization})`, { cause: socket });
      },
    });
    const error = await caught(client.request('GET', '/config'));
    expect(isAuraError(error, 'network')).toBe(true);
    expect(seen[0]).toMatch(/^Bearer aubt_/);
    const printed = everyForm(error);
    expect(printed).not.toMatch(CREDENTIAL);
    // The diagnosis survives: the code and the chain of causes.
    const cause = (error as Error).cause as Error & { cause: Error & { code: string } };
    expect(cause.name).toBe('TypeError');
    expect(cause.cause.code).toBe('ECONNRESET');
    expect(cause.cause.message).toContain('socket closed while sending X-Api-Key: [redacted]');
  });

  it('a baseUrl or url with a password and query values is quoted redacted', async () => {
    const base = 'https://partner:hunter2-pass@aura example.com/api?key=s3cr3t-value&x=1';
    const error = await caught(
      Promise.resolve().then(
        () => new AuraClient({ baseUrl: base, appId: 'a', appSecret: 's3', apiKey: 'k3' }),
      ),
    );
    expect(isAuraError(error, 'configuration')).toBe(true);
    const signErrors = [
      error,
      await caught(
        signRequest(
          { appId: 'a', appSecret: 's' },
          { method: 'GET', baseUrl: 'https://h.example/api?token=s3cr3t-value', url: '/x' },
        ),
      ),
      await caught(
        signRequest(
          { appId: 'a', appSecret: 's' },
          { method: 'GET', url: 'ftp://partner:hunter2-pass@h.example/x?sig=s3cr3t-value' },
        ),
      ),
    ];
    for (const e of signErrors) {
      expect(isAuraError(e)).toBe(true);
      const printed = everyForm(e);
      expect(printed).not.toContain('hunter2-pass');
      expect(printed).not.toContain('s3cr3t-value');
      // The URL is still recognisable: its host and parameter names stay.
      expect(printed).toMatch(/h\.example|aura example\.com/);
      expect(printed).toMatch(/[?&](key|token|sig)=\[redacted\]/);
    }
  });

  it('a huge, deep or wide body is kept bounded (redaction never scans without limit)', async () => {
    const client = clientFor(server);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100; i++) deep = { deep };
    server.hook = (req) =>
      req.bearer === undefined
        ? undefined
        : {
            status: 400,
            body: {
              message: 'too much',
              big: `${'a.'.repeat(500_000)}aubt_hidden`,
              many: Array.from({ length: 1100 }, (_, i) => `${i}:${'b'.repeat(1000)}`),
              deep,
              aubt_0123456789abcdef: 'a token as a key',
            },
          };
    const error = (await caught(client.request('GET', '/x'))) as AuraApiError;
    const body = error.body as Record<string, unknown>;
    expect((body.big as string).length).toBeLessThanOrEqual(64 * 1024 + 1);
    expect(body.many as string[]).toHaveLength(1000);
    // Past a megabyte of text in all, the rest is dropped rather than scanned.
    expect((body.many as string[]).filter((s) => s === '[truncated]').length).toBeGreaterThan(0);
    const levels = JSON.stringify(body.deep).split('{"deep":').length - 1;
    expect(levels).toBeGreaterThan(8);
    expect(levels).toBeLessThan(16);
    expect(everyForm(error)).not.toMatch(CREDENTIAL);
  });

  it('toJSON and util.inspect show the code, status and redacted message only', () => {
    const error = new AuraApiError('auth', 'Aura answered 401: no (Bearer aubt_abcdef)', {
      status: 401,
      body: { marker: 'body-marker', token: 'plain-token-value' },
      method: 'GET',
      path: '/x',
      details: { marker: 'details-marker' },
      cause: new Error('cause-marker'),
    });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'AuraApiError',
      code: 'auth',
      status: 401,
      message: 'Aura answered 401: no (Bearer [redacted])',
    });
    const shown = inspect(error);
    expect(shown).toContain("code: 'auth'");
    expect(shown).toContain('status: 401');
    expect(shown).toContain('AuraApiError: Aura answered 401: no (Bearer [redacted])');
    for (const hidden of ['body-marker', 'details-marker', 'cause-marker', 'aubt_']) {
      expect(shown).not.toContain(hidden);
    }
    // A secret-named field is blanked whatever its value looks like.
    expect(error.body).toEqual({ marker: 'body-marker', token: '[redacted]' });
    const plain = new AuraError('network', 'x');
    expect(inspect(plain)).toMatch(/^AuraError: x\n\s+at /);
    expect(inspect(plain)).not.toContain('status');
  });
});

describe('network errors name the origin and the cause', () => {
  it('a refused connection names the origin, the code and what to check', async () => {
    const closed = await startTestServer();
    const origin = closed.url;
    await closed.close();
    const client = clientFor(server, { baseUrl: origin });
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'network')).toBe(true);
    expect((error as Error).message).toBe(
      `POST /auth/exchange: could not connect to ${origin} (ECONNREFUSED): is the Aura API (or aura-sandbox) running there?`,
    );
  });

  it('port 1, which fetch refuses, says so rather than “fetch failed”', async () => {
    const client = clientFor(server, { baseUrl: 'http://127.0.0.1:1' });
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'network')).toBe(true);
    const { message } = error as Error;
    expect(message).toContain('could not connect to http://127.0.0.1:1');
    expect(message).toContain('bad port');
    expect(message).not.toMatch(/fetch failed/);
  });

  it('a reset after sending names the origin and the code', async () => {
    const client = clientFor(server, {
      fetch: () =>
        Promise.reject(
          new TypeError('fetch failed', {
            cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
          }),
        ),
    });
    const error = await caught(client.exchangeToken());
    expect((error as Error).message).toBe(
      `POST /auth/exchange: the connection to ${server.url} failed (UND_ERR_SOCKET: other side closed)`,
    );
  });

  it('a timeout names the origin', async () => {
    const client = clientFor(server, { timeoutMs: 100 });
    server.hook = async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      return undefined;
    };
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'timeout')).toBe(true);
    expect((error as Error).message).toContain(`from ${server.url} within 100 ms`);
  });
});

describe('a refused signature says what to check', () => {
  const credentialHint = /AURA_APP_ID.*AURA_APP_SECRET.*clock/;

  it('a wrong secret', async () => {
    const client = clientFor(server, { appSecret: 'aura_sk_wrong_secret_value' });
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'auth')).toBe(true);
    expect((error as AuraApiError).apiCode).toBe('invalid_signature');
    expect((error as Error).message).toMatch(credentialHint);
  });

  it('an unknown app id', async () => {
    const client = clientFor(server, { appId: 'aura_pk_nobody' });
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'auth')).toBe(true);
    expect((error as Error).message).toMatch(credentialHint);
  });

  it('a wrong API key names the API key, not the secret', async () => {
    const client = clientFor(server, { apiKey: 'aura_au_wrong_key_value' });
    const error = await caught(client.exchangeToken());
    expect((error as Error).message).toContain('AURA_API_KEY');
    expect((error as Error).message).not.toMatch(credentialHint);
  });

  it('a bearer 401 gets no signature hint', async () => {
    const client = clientFor(server);
    server.hook = (req) =>
      req.bearer === undefined
        ? undefined
        : { status: 401, body: { error: { code: 'invalid_signature', message: 'no' } } };
    const error = await caught(client.request('GET', '/x'));
    expect((error as Error).message).not.toMatch(credentialHint);
  });
});

describe('configuration messages name what to fix', () => {
  const FULL = {
    AURA_BASE_URL: 'https://aura.example.com',
    AURA_APP_ID: 'aura_pk_testapp123',
    AURA_APP_SECRET: 'aura_sk_very_secret_value',
    AURA_API_KEY: 'aura_au_very_secret_key',
  };

  function configError(env: Record<string, string | undefined>): AuraError {
    try {
      AuraClient.fromEnv(env);
    } catch (error) {
      expect(isAuraError(error, 'configuration')).toBe(true);
      return error as AuraError;
    }
    throw new Error('expected a configuration error');
  }

  it('says how to load a .env file instead of implying one is read', () => {
    const { message } = configError({ ...FULL, AURA_APP_ID: undefined });
    expect(message).toContain('node --env-file=.env');
    expect(message).not.toContain('(or a .env file)');
  });

  it('a multi-line AURA_API_KEY is reported under its variable name', () => {
    const error = configError({ ...FULL, AURA_API_KEY: 'aura_au_first\naura_au_second' });
    expect(error.message).toContain('AURA_API_KEY must be on one line');
    expect(error.message).not.toContain('apiKey');
    expect(error.details).toEqual({ missing: [], invalid: ['AURA_API_KEY'] });
    expect(() => auraConfigFromEnv({ ...FULL, AURA_API_KEY: 'a\r\nb' })).toThrow(/AURA_API_KEY/);
  });

  it('a missing appId, appSecret or apiKey is “required”, not the whole rule', () => {
    const error = caughtSync(
      () => new AuraClient({ baseUrl: 'https://aura.example.com' } as never),
    );
    expect(error.message).toContain('appId is required');
    expect(error.message).toContain('appSecret is required');
    expect(error.message).toContain('apiKey is required');
    expect(error.message).not.toContain('visible ASCII');
    const invalid = caughtSync(
      () =>
        new AuraClient({
          baseUrl: 'https://aura.example.com',
          appId: 'has space',
          appSecret: 's',
          apiKey: 'a\nb',
        }),
    );
    expect(invalid.message).toContain('appId must be a string of visible ASCII');
    expect(invalid.message).toContain('apiKey must be a string on one line');
  });
});

function caughtSync(run: () => unknown): AuraError {
  try {
    run();
  } catch (error) {
    expect(isAuraError(error)).toBe(true);
    return error as AuraError;
  }
  throw new Error('expected an error');
}
