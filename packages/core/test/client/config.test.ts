import { afterEach, describe, expect, it } from 'vitest';
import { AuraClient, auraConfigFromEnv, isAuraError } from '../../src/index';
import { startTestServer, type TestServer } from '../support/aura-server';

const FULL = {
  AURA_BASE_URL: 'https://aura.example.com',
  AURA_APP_ID: 'aura_pk_testapp123',
  AURA_APP_SECRET: 'aura_sk_very_secret_value',
  AURA_API_KEY: 'aura_au_very_secret_key',
};
const REQUIRED = Object.keys(FULL) as Array<keyof typeof FULL>;

function configError(env: Record<string, string | undefined>): Error & {
  details: { missing: string[]; invalid: string[] };
} {
  try {
    auraConfigFromEnv(env);
  } catch (error) {
    expect(isAuraError(error, 'configuration')).toBe(true);
    return error as never;
  }
  throw new Error('expected a configuration error');
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('auraConfigFromEnv', () => {
  it('reads the variables with their defaults', () => {
    expect(auraConfigFromEnv(FULL)).toEqual({
      baseUrl: 'https://aura.example.com/api',
      appId: 'aura_pk_testapp123',
      appSecret: 'aura_sk_very_secret_value',
      apiKey: 'aura_au_very_secret_key',
      tokenTtl: 3600,
      defaultScopes: ['upload:init', 'upload:manage', 'integration:read'],
      timeoutMs: 30_000,
    });
    expect(
      auraConfigFromEnv({
        ...FULL,
        AURA_TOKEN_TTL: '86400',
        AURA_DEFAULT_SCOPES: 'upload:init, integration:read',
        AURA_TIMEOUT: '5',
      }),
    ).toMatchObject({
      tokenTtl: 86_400,
      defaultScopes: ['upload:init', 'integration:read'],
      timeoutMs: 5000,
    });
  });

  for (const name of REQUIRED) {
    it(`names ${name} when it is missing, and shows how to set it`, () => {
      const error = configError({ ...FULL, [name]: undefined });
      expect(error.message).toContain(`${name} is missing`);
      expect(error.message).toContain(`${name}=`);
      expect(error.details.missing).toEqual([name]);
    });
  }

  it('names every missing variable in one error', () => {
    const error = configError({});
    for (const name of REQUIRED) expect(error.message).toContain(name);
    expect(error.details.missing).toEqual(REQUIRED);
    expect(error.message).toContain('4 environment variables are missing or invalid');
  });

  it('treats a blank value as missing', () => {
    expect(configError({ ...FULL, AURA_APP_ID: '  ' }).details.missing).toEqual(['AURA_APP_ID']);
  });

  it('names every invalid value', () => {
    const error = configError({
      ...FULL,
      AURA_BASE_URL: 'aura.example.com',
      AURA_TOKEN_TTL: '86401',
      AURA_TIMEOUT: '-1',
      AURA_DEFAULT_SCOPES: ' , ',
    });
    expect(error.details.invalid).toEqual([
      'AURA_BASE_URL',
      'AURA_TOKEN_TTL',
      'AURA_DEFAULT_SCOPES',
      'AURA_TIMEOUT',
    ]);
    expect(error.message).toContain(
      'AURA_TOKEN_TTL must be whole seconds from 1 to 86400 (got "86401")',
    );
    expect(error.message).toContain('AURA_TOKEN_TTL=3600');
    for (const bad of ['0', '1.5', 'abc', '3600s']) {
      expect(configError({ ...FULL, AURA_TOKEN_TTL: bad }).details.invalid).toEqual([
        'AURA_TOKEN_TTL',
      ]);
    }
  });

  it('never shows a secret value', () => {
    const error = configError({ ...FULL, AURA_APP_ID: undefined, AURA_TOKEN_TTL: 'x' });
    expect(error.message).not.toContain(FULL.AURA_APP_SECRET);
    expect(error.message).not.toContain(FULL.AURA_API_KEY);
  });
});

describe('AuraClient.fromEnv', () => {
  it('builds a working client from the environment', async () => {
    server = await startTestServer();
    const client = AuraClient.fromEnv({
      AURA_BASE_URL: server.url,
      AURA_APP_ID: server.credentials.appId,
      AURA_APP_SECRET: server.credentials.appSecret,
      AURA_API_KEY: server.credentials.apiKey,
      AURA_TOKEN_TTL: '900',
    });
    expect(client.baseUrl).toBe(server.apiUrl);
    expect(client.tokenTtl).toBe(900);
    expect((await client.submit({ uploadId: 'u1' })).success).toBe(true);
    expect(server.seen('/auth/exchange')[0]!.json).toMatchObject({ ttl: 900 });
  });

  it('throws the one configuration error', () => {
    expect(() => AuraClient.fromEnv({})).toThrow(/AURA_BASE_URL is missing/);
  });
});
