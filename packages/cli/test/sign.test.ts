import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aura, VECTOR_1 } from './support';

const env = { AURA_APP_SECRET: VECTOR_1.secret };

describe('aura sign', () => {
  it('--explain prints vector 1 step by step: canonical request, its SHA-256, string to sign, signature, Authorization', async () => {
    const run = await aura(['sign', '--explain', ...VECTOR_1.args], env);

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(
      [
        'Canonical request:',
        '  POST',
        '  /api/auth/exchange',
        '',
        '  content-type:application/json',
        '  host:aura.example.com',
        '  x-aura-nonce:550e8400-e29b-41d4-a716-446655440000',
        '  x-aura-timestamp:1706140800',
        '',
        '  content-type;host;x-aura-nonce;x-aura-timestamp',
        `  ${VECTOR_1.payloadHash}`,
      ].join('\n'),
    );
    expect(run.stdout).toContain(`Canonical request SHA-256: ${VECTOR_1.canonicalRequestHash}`);
    expect(run.stdout).toContain(
      [
        'String to sign:',
        '  AURA-HMAC-SHA256',
        '  1706140800',
        '  test-app-id/20240125/aura_request',
        `  ${VECTOR_1.canonicalRequestHash}`,
      ].join('\n'),
    );
    expect(run.stdout).toContain(`Signature: ${VECTOR_1.signature}`);
    expect(run.stdout).toContain(
      `Authorization: AURA-HMAC-SHA256 Credential=test-app-id,SignedHeaders=content-type;host;x-aura-nonce;x-aura-timestamp,Signature=${VECTOR_1.signature}`,
    );
    expect(run.stdout).not.toContain(VECTOR_1.secret);
  });

  it('--json carries the request to send and every step', async () => {
    const run = await aura(['sign', '--json', ...VECTOR_1.args], env);
    const json = JSON.parse(run.stdout);

    expect(json).toMatchObject({
      method: 'POST',
      url: '/api/auth/exchange',
      body: '{"ttl":3600,"scopes":["upload:init","upload:manage"]}',
      canonicalRequestHash: VECTOR_1.canonicalRequestHash,
      signature: VECTOR_1.signature,
      payloadHash: VECTOR_1.payloadHash,
      credentialScope: 'test-app-id/20240125/aura_request',
      headers: {
        Host: 'aura.example.com',
        'Content-Type': 'application/json',
        'X-Aura-Timestamp': '1706140800',
        'X-Aura-Nonce': '550e8400-e29b-41d4-a716-446655440000',
      },
    });
    expect(run.stdout).not.toContain(VECTOR_1.secret);
  });

  it('prints raw HTTP by default, with the base URL joined and Host derived', async () => {
    const run = await aura(
      [
        'sign',
        '--app-id',
        'app',
        '--base-url',
        'https://aura.example.com/api',
        '--url',
        '/uploader/config',
      ],
      { AURA_APP_SECRET: 's' },
    );

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^GET \/api\/uploader\/config HTTP\/1\.1\nHost: aura\.example\.com\n/,
    );
    expect(run.stdout).toMatch(
      /\nAuthorization: AURA-HMAC-SHA256 Credential=app,SignedHeaders=host;x-aura-nonce;x-aura-timestamp,Signature=[0-9a-f]{64}\n\n$/,
    );
  });

  it('--curl prints a command that sends exactly the signed bytes', async () => {
    const run = await aura(
      [
        'sign',
        '--curl',
        '--app-id',
        'app',
        '--url',
        'https://aura.example.com/api/auth/exchange',
        '--body',
        `{"note":"it's"}`,
      ],
      { AURA_APP_SECRET: 's' },
    );

    expect(run.stdout).toMatch(
      /^curl -sS -X POST https:\/\/aura\.example\.com\/api\/auth\/exchange /,
    );
    expect(run.stdout).toContain(`-H 'Content-Type: application/json'`);
    expect(run.stdout).toMatch(/-H 'Authorization: AURA-HMAC-SHA256 Credential=app,[^']+'/);
    expect(run.stdout).toContain(`--data-binary '{"note":"it'\\''s"}'`);
    expect(run.stdout).not.toContain('Host:');
  });

  describe('with a body file', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'aura-cli-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('signs the file bytes as they are', async () => {
      const file = path.join(dir, 'body.json');
      await writeFile(file, '{"ttl":3600,"scopes":["upload:init","upload:manage"]}');
      const args = VECTOR_1.args.slice(0, -2).concat(['--body-file', file]);
      const run = await aura(['sign', '--explain', ...args], env);

      expect(run.stdout).toContain(`Signature: ${VECTOR_1.signature}`);
    });

    it('names the file it cannot read', async () => {
      const run = await aura(
        ['sign', '--app-id', 'a', '--url', '/x', '--body-file', path.join(dir, 'nope')],
        env,
      );

      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--body-file .*nope: /);
    });
  });

  it('reads the secret from --secret only with a warning about shell history, and never prints it', async () => {
    const run = await aura(['sign', '--explain', ...VECTOR_1.args, '--secret', VECTOR_1.secret]);

    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: --secret puts the secret in your shell history/);
    expect(run.stdout).toContain(`Signature: ${VECTOR_1.signature}`);
    expect(run.stdout + run.stderr).not.toContain(VECTOR_1.secret);
  });

  it.each([
    [['--bdoy', 'x'], /unknown flag --bdoy/],
    [['--url'], /--url needs a value/],
    [['--url', '/x', '--json=yes'], /--json takes no value/],
    [['--url', '/x', '--timestamp', '1706140800000x'], /--timestamp expects a whole number/],
    [['--url', '/x', '--timestamp', '1706140800000'], /that looks like milliseconds, give seconds/],
    [['--url', '/x', '--header', 'no colon'], /--header expects 'Name: value'/],
    [['--url', '/x', '--body', 'a', '--body-file', 'b'], /give --body or --body-file, not both/],
    [['--app-id', 'a'], /--url is required/],
    [['--url', '/x', '--json', '--curl'], /give --json or --curl, not both/],
  ])('refuses %j, naming the flag', async (args, message) => {
    const run = await aura(['sign', '--app-id', 'a', ...args], env);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('says where the secret comes from when there is none', async () => {
    const run = await aura(['sign', '--app-id', 'a', '--url', 'https://h/x']);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/needs the app secret: set AURA_APP_SECRET/);
  });

  it("passes the signer's refusal on with its code", async () => {
    const run = await aura(['sign', '--app-id', 'a', '--url', '/x'], env);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^aura sign: missing_host: /);
  });

  it('--help on each command, and on aura itself', async () => {
    for (const command of ['sign', 'verify', 'exchange', 'doctor']) {
      const run = await aura([command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: aura ${command}`));
    }
    expect((await aura(['--help'])).stdout).toMatch(/^Usage: aura <command>/);
    expect((await aura(['help', 'verify'])).stdout).toMatch(/^Usage: aura verify/);
    const unknown = await aura(['sing']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "sing"/);
  });
});
