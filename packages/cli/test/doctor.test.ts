import { type Sandbox, startSandbox } from '@aura/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aura } from './support';

let sandbox: Sandbox;
let env: Record<string, string>;
beforeAll(async () => {
  sandbox = await startSandbox();
  const { appId, appSecret, apiKey } = sandbox.credentials;
  env = {
    AURA_BASE_URL: sandbox.apiUrl,
    AURA_APP_ID: appId,
    AURA_APP_SECRET: appSecret,
    AURA_API_KEY: apiKey,
  };
});
afterAll(() => sandbox?.close());

describe('aura doctor', () => {
  it('against a running sandbox: every check green, the secret never shown', async () => {
    const run = await aura(['doctor'], env);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.map((line) => line.slice(0, 18).trim())).toEqual([
      '✓ configuration',
      '✓ reachable',
      '✓ clock',
      '✓ exchange',
      '✓ scopes',
      '✓ uploader config',
      'All 6 checks passe',
    ]);
    expect(run.stdout).toContain(`tus uploads go to ${sandbox.tusUrl}`);
    expect(run.stdout).toContain('upload:init, upload:manage, integration:read');
    expect(run.stdout).not.toContain(env.AURA_APP_SECRET);
    // A real exchange and a real config call reached the sandbox.
    expect(sandbox.requests().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(
      expect.arrayContaining(['POST /api/auth/exchange 200', 'GET /api/uploader/config 200']),
    );
  });

  it('a wrong secret fails the exchange in one line', async () => {
    const run = await aura(['doctor'], { ...env, AURA_APP_SECRET: 'not-the-secret-at-all' });

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(
      /^✗ exchange: POST \/auth\/exchange failed: auth: .*invalid_signature/,
    );
  });

  it('missing configuration is named in one line', async () => {
    const run = await aura(['doctor'], { AURA_BASE_URL: sandbox.apiUrl });

    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(
      /^✗ configuration: .*AURA_APP_ID is missing.*AURA_APP_SECRET is missing/,
    );
  });
});

describe('aura doctor against a stopped sandbox', () => {
  it('says what is wrong in one line', async () => {
    const stopped = await startSandbox();
    const { appId, appSecret, apiKey } = stopped.credentials;
    await stopped.close();

    const run = await aura(['doctor'], {
      AURA_BASE_URL: stopped.apiUrl,
      AURA_APP_ID: appId,
      AURA_APP_SECRET: appSecret,
      AURA_API_KEY: apiKey,
    });

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([
      `✗ reachable: cannot reach ${stopped.apiUrl} (connection refused): is the Aura API, or the sandbox, running there? Start a sandbox with \`aura sandbox\`, or fix AURA_BASE_URL`,
    ]);
  });
});

describe('aura exchange', () => {
  it('exchanges for a token with the scopes asked', async () => {
    const run = await aura(['exchange', '--json', '--scopes', 'upload:init', '--ttl', '120'], env);

    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.token).toMatch(/^aubt_/);
    expect(json.scopes).toEqual(['upload:init']);
    expect(Date.parse(json.expires_at) - Date.now()).toBeLessThanOrEqual(121_000);
  });

  it('explains the signed exchange when Aura refuses the signature', async () => {
    const run = await aura(['exchange'], { ...env, AURA_APP_SECRET: 'not-the-secret-at-all' });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^aura exchange: auth: .*invalid_signature/);
    expect(run.stdout).toContain(`The signed exchange (POST ${sandbox.apiUrl}/auth/exchange):`);
    expect(run.stdout).toMatch(
      /String to sign:\n {2}AURA-HMAC-SHA256\n {2}\d+\n {2}aura_pk_sandbox\/\d{8}\/aura_request\n/,
    );
    expect(run.stdout + run.stderr).not.toContain('not-the-secret-at-all');
  });
});
