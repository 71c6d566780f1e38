import { describe, expect, it } from 'vitest';
import { FaultQueue, validateFault } from '../src/faults';
import { isLoopback } from '../src/http';
import { startSandbox } from '../src/index';
import { redactHeaders, redactText } from '../src/log';
import { RateLimiter } from '../src/rate-limit';
import { parseTusMetadata } from '../src/tus';

describe('small parts', () => {
  it('tells loopback hosts from others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) {
      expect(isLoopback(host)).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '128.0.0.1']) {
      expect(isLoopback(host)).toBe(false);
    }
  });

  it('redacts tokens and secrets, keeping a recognisable prefix only', () => {
    const token = `aubt_${'a1'.repeat(24)}`;
    expect(redactText(`?t=${token}&x=1`)).toBe('?t=aubt_a1a1…[redacted]&x=1');
    const headers = redactHeaders({
      authorization: `Bearer ${token}`,
      'x-api-key': 'aura_au_sandbox',
      cookie: 'session=abcdef',
      host: '127.0.0.1',
    });
    expect(headers).toEqual({
      authorization: 'Bearer aubt_a1a1…[redacted]',
      // The known prefix says which kind of key it was; nothing after it is kept.
      'x-api-key': 'aura_au_…[redacted]',
      cookie: 'sess…[redacted]',
      host: '127.0.0.1',
    });
    expect(redactHeaders({ authorization: 'Basic dXNlcjpwYXNz' }).authorization).toBe('[redacted]');
  });

  it('parses tus Upload-Metadata', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(
      parseTusMetadata(`upload_id ${b64('abc')},is_confidential,filename ${b64('ä.dcm')}`),
    ).toEqual({
      upload_id: 'abc',
      is_confidential: null,
      filename: 'ä.dcm',
    });
    expect(parseTusMetadata(undefined)).toEqual({});
    expect(parseTusMetadata('a b c')).toBeUndefined();
    expect(parseTusMetadata('a !!!')).toBeUndefined();
  });

  it('rate-limits per group and app in fixed one-minute windows', () => {
    let now = 0;
    const limiter = new RateLimiter({ exchange: 2, config: 1, lifecycle: 1 }, () => now);
    expect(limiter.hit('exchange', 'a')).toMatchObject({ ok: true, remaining: 1 });
    expect(limiter.hit('exchange', 'a')).toMatchObject({ ok: true, remaining: 0 });
    expect(limiter.hit('exchange', 'a')).toEqual({ ok: false, limit: 2, retryAfter: 60 });
    expect(limiter.hit('exchange', 'b').ok).toBe(true);
    expect(limiter.hit('config', 'a').ok).toBe(true);
    now = 59_500;
    expect(limiter.hit('exchange', 'a')).toEqual({ ok: false, limit: 2, retryAfter: 1 });
    now = 60_000;
    expect(limiter.hit('exchange', 'a').ok).toBe(true);
  });

  it('uses each fault the given number of times, first added first', () => {
    const queue = new FaultQueue();
    const add = (rule: object) => {
      const checked = validateFault(rule);
      if (!checked.ok) throw new Error(checked.message);
      return queue.add(checked.fault);
    };
    add({ path: '/auth/exchange', status: 500, times: 2 });
    add({ path: '/api/*', status: 502 });
    expect(queue.take('POST', '/api/auth/exchange')?.status).toBe(500);
    expect(queue.take('POST', '/api/auth/exchange')?.status).toBe(500);
    expect(queue.take('POST', '/api/auth/exchange')?.status).toBe(502);
    expect(queue.take('POST', '/api/auth/exchange')).toBeUndefined();
    expect(validateFault({ path: '/x', delayMs: -1 }).ok).toBe(false);
    expect(validateFault({ path: '/x', retryAfter: 1.5, status: 503 }).ok).toBe(false);
  });

  it('refuses bad startSandbox options before listening', async () => {
    await expect(startSandbox({ apps: [] })).rejects.toThrow(TypeError);
    await expect(
      startSandbox({ apps: [{ appId: 'a', appSecret: '', apiKey: 'k' }] }),
    ).rejects.toThrow(/appSecret/);
    await expect(startSandbox({ port: 70_000 })).rejects.toThrow(/port/);
    await expect(startSandbox({ rateLimits: { exchange: 0 } })).rejects.toThrow(/exchange/);
  });

  it('binds loopback hosts without a warning, and cleans up its temporary folder on close', async () => {
    const warnings: string[] = [];
    const sb = await startSandbox({ host: 'localhost', onWarning: (m) => warnings.push(m) });
    const { existsSync } = await import('node:fs');
    expect(existsSync(sb.dataDir)).toBe(true);
    expect((await fetch(`${sb.url}/_sandbox/health`)).status).toBe(200);
    await sb.close();
    await sb.close(); // twice is fine
    expect(existsSync(sb.dataDir)).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('keeps a given --data-dir on close', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/aura-sandbox-test-`);
    try {
      const sb = await startSandbox({ dataDir: `${dir}/files` });
      expect(sb.dataDir).toBe(`${dir}/files`);
      await sb.close();
      expect(existsSync(`${dir}/files`)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
