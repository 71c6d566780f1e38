// The built bin in a child process, as users run it (build first: npx turbo run build --filter=@aura/cli).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auraBin, VECTOR_1 } from './support';

let sandbox: Sandbox;
let dir: string;
beforeAll(async () => {
  sandbox = await startSandbox();
  dir = await mkdtemp(path.join(tmpdir(), 'aura-bin-'));
});
afterAll(async () => {
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

function sandboxEnv(target: Sandbox): Record<string, string> {
  const { appId, appSecret, apiKey } = target.credentials;
  return {
    AURA_BASE_URL: target.apiUrl,
    AURA_APP_ID: appId,
    AURA_APP_SECRET: appSecret,
    AURA_API_KEY: apiKey,
  };
}

describe('the aura bin', () => {
  it('sign --explain prints vector 1’s canonical-request hash and signature', async () => {
    const run = await auraBin(['sign', '--explain', ...VECTOR_1.args], {
      AURA_APP_SECRET: VECTOR_1.secret,
    });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Canonical request SHA-256: ${VECTOR_1.canonicalRequestHash}`);
    expect(run.stdout).toContain(`Signature: ${VECTOR_1.signature}`);
    expect(run.stdout).not.toContain(VECTOR_1.secret);
  });

  it('verify pinpoints a tampered body and a skewed timestamp', async () => {
    const env = { AURA_APP_SECRET: 'bin-secret', AURA_APP_ID: 'bin-app' };
    const sign = [
      'sign',
      '--url',
      'https://aura.example.com/api/auth/exchange',
      '--body',
      '{"ttl":60}',
    ];
    const signed = JSON.parse((await auraBin([...sign, '--json'], env)).stdout);
    const tampered = path.join(dir, 'tampered.json');
    await writeFile(tampered, JSON.stringify({ ...signed, body: '{"ttl":61}' }));

    const body = await auraBin(['verify', tampered], env);
    expect(body.code).toBe(1);
    expect(body.stdout).toMatch(/^FAIL invalid_signature/);
    expect(body.stdout).toContain('the body is not the bytes that were signed');

    const old = String(Math.floor(Date.now() / 1000) - 900);
    const raw = await auraBin([...sign, '--timestamp', old], env);
    const skewed = await auraBin(['verify', '-'], env, raw.stdout);
    expect(skewed.code).toBe(1);
    expect(skewed.stdout).toMatch(/^FAIL timestamp_out_of_window .*9\d\d s behind/);
  });

  it('doctor: all green against a running sandbox', async () => {
    const run = await auraBin(['doctor'], sandboxEnv(sandbox));

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/All 6 checks passed\.\n$/);
  });

  it('doctor: one line against a stopped sandbox', async () => {
    const stopped = await startSandbox();
    await stopped.close();

    const run = await auraBin(['doctor'], sandboxEnv(stopped));

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^✗ reachable: cannot reach http:\/\/127\.0\.0\.1:\d+\/api \(connection refused\)[^\n]*\n$/,
    );
  });

  it('sandbox starts the sandbox, which stops on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('./support');
    const child = spawn(process.execPath, [BIN, 'sandbox', '--port', '0'], {
      env: { PATH: process.env.PATH ?? '' },
    });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner within 10 s:\n${out}`)), 10_000);
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\/api/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
    });
    const health = (await fetch(`${url}/_sandbox/health`).then((r) => r.json())) as { ok: boolean };
    expect(health.ok).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('names a bad flag and exits 2', async () => {
    const run = await auraBin(['verify', '--skwe', '5']);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^aura verify: unknown flag --skwe/);
  });
});
