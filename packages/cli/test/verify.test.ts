import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aura } from './support';

const SECRET = 'partner-secret-0123456789';
const env = { AURA_APP_SECRET: SECRET, AURA_APP_ID: 'partner-app' };
const SIGN = [
  'sign',
  '--base-url',
  'https://aura.example.com/api',
  '--url',
  '/auth/exchange',
  '--body',
  '{"ttl":60,"scopes":["upload:init"]}',
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'aura-verify-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string): Promise<string> {
  const target = path.join(dir, name);
  await writeFile(target, text);
  return target;
}

describe('aura verify', () => {
  it('accepts a request signed a moment ago, from --json and from raw HTTP', async () => {
    const json = await aura([...SIGN, '--json'], env);
    const raw = await aura(SIGN, env);

    const fromJson = await aura(['verify', await file('ok.json', json.stdout)], env);
    const fromHttp = await aura(['verify'], env, raw.stdout);

    expect(fromJson).toMatchObject({ code: 0, stderr: '' });
    expect(fromJson.stdout).toMatch(/^OK: the signature holds for app partner-app/);
    expect(fromHttp.stdout).toMatch(/^OK: the signature holds for app partner-app/);
  });

  it('pinpoints a tampered body: the payload hash line, beside the canonical request that was signed', async () => {
    const signed = JSON.parse((await aura([...SIGN, '--json'], env)).stdout);
    const tampered = { ...signed, body: '{"ttl":86400,"scopes":["upload:init"]}' };

    const run = await aura(['verify', await file('tampered.json', JSON.stringify(tampered))], env);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL invalid_signature \(the verifier answers 401\)/);
    expect(run.stdout).toContain(
      'rule: the signature is the HMAC of the canonical request rebuilt from what arrived',
    );
    // Both canonical requests, the same but for their last line, the payload hash.
    const received = new TextEncoder().encode(tampered.body);
    const { createHash } = await import('node:crypto');
    const receivedHash = createHash('sha256').update(received).digest('hex');
    expect(run.stdout).toContain(`  - ${receivedHash}\n  + ${signed.payloadHash}`);
    expect(run.stdout).toContain('  = /api/auth/exchange');
    expect(run.stdout).toContain(
      `payload hash: the ${received.length} body bytes received hash to ${receivedHash}, the sender hashed ${signed.payloadHash}: the body is not the bytes that were signed`,
    );
    expect(run.stdout).not.toContain(SECRET);
  });

  it('names the header that changed after signing', async () => {
    const signed = JSON.parse((await aura([...SIGN, '--json'], env)).stdout);
    const moved = { ...signed, headers: { ...signed.headers, Host: 'evil.example.com' } };

    const run = await aura(['verify', await file('host.json', JSON.stringify(moved))], env);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'header host: received "evil.example.com", signed "aura.example.com"',
    );
  });

  it('pinpoints a skewed timestamp, saying by how much', async () => {
    const old = Math.floor(Date.now() / 1000) - 3600;
    const raw = await aura([...SIGN, '--timestamp', String(old)], env);

    const run = await aura(['verify', await file('old.http', raw.stdout)], env);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^FAIL timestamp_out_of_window \(the verifier answers 401\): X-Aura-Timestamp is 36\d\d s behind the server clock \(allowed: 300 s\)/,
    );
    expect(run.stdout).toContain(
      "rule: X-Aura-Timestamp is within the accepted skew of the verifier's clock",
    );
    // The same request checked at the moment it was signed holds.
    const then = await aura(
      ['verify', await file('old2.http', raw.stdout), '--now', String(old + 10)],
      env,
    );
    expect(then.code).toBe(0);
  });

  it('with raw HTTP, shows the canonical request it expected and how to get the sender’s', async () => {
    const raw = (await aura(SIGN, env)).stdout.replace('"ttl":60', '"ttl":61');

    const run = await aura(['verify', await file('raw.http', raw)], env);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'Canonical request expected (rebuilt from the request as it arrived):',
    );
    expect(run.stdout).toMatch(
      /Signature expected: [0-9a-f]{64}\nSignature received: [0-9a-f]{64}/,
    );
    expect(run.stdout).toMatch(/--signed-canonical <file>/);

    // Given the sender's logged canonical request, the two are compared.
    const signedCanonical = JSON.parse((await aura([...SIGN, '--json'], env)).stdout);
    expect(signedCanonical.canonicalRequest).toMatch(/^POST\n/);
  });

  it('says when the secret given belongs to another app', async () => {
    const raw = (await aura(SIGN, env)).stdout;

    const run = await aura(['verify', await file('other.http', raw)], {
      ...env,
      AURA_APP_ID: 'someone-else',
    });

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /signed as app "partner-app", but the secret given belongs to "someone-else"/,
    );
  });

  it('names the rule for a request that is not signed at all', async () => {
    const run = await aura(
      ['verify'],
      env,
      'GET /api/uploader/config HTTP/1.1\r\nHost: aura.example.com\r\n\r\n',
    );

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL missing_authorization/);
  });

  it.each([
    ['not http', /must start with a request line/],
    ['{"method":1}', /needs "method" and "url" strings/],
    ['{', /not valid JSON/],
  ])('refuses input that is not a request (%s)', async (input, message) => {
    const run = await aura(['verify'], env, input);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('refuses a bad flag by name', async () => {
    const run = await aura(['verify', '--skew', 'soon'], env, 'x');

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--skew expects a whole number/);
  });
});
