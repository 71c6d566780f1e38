import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAuraError } from '../../src/index';
import { startTestServer, type TestServer } from '../support/aura-server';
import { caught, clientFor } from './helpers';

let server: TestServer;

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  await server.close();
});

describe('retries', () => {
  it('429 with Retry-After: 1 waits, then succeeds with a fresh signature', async () => {
    const client = clientFor(server);
    let calls = 0;
    server.hook = () =>
      ++calls === 1
        ? { status: 429, headers: { 'retry-after': '1' }, body: { message: 'Too Many Attempts.' } }
        : undefined;
    const token = await client.exchangeToken();
    expect(token.token).toMatch(/^aubt_/);
    const [first, second] = server.seen('/auth/exchange');
    // Both verified by the core's verifier (with replay protection): the retry was re-signed.
    expect(first!.verified).toBe(true);
    expect(first!.status).toBe(429);
    expect(second!.verified).toBe(true);
    expect(second!.status).toBe(200);
    expect(second!.nonce).not.toBe(first!.nonce);
    expect(Number(second!.timestamp)).toBeGreaterThan(Number(first!.timestamp));
    expect(second!.headers.authorization).not.toBe(first!.headers.authorization);
  });

  it('503 then success', async () => {
    const client = clientFor(server);
    let calls = 0;
    server.hook = (req) =>
      req.path === '/api/uploader/manage/submit' && ++calls === 1
        ? { status: 503, body: { message: 'maintenance' } }
        : undefined;
    const result = await client.submit({ uploadId: 'u1' });
    expect(result).toEqual({
      success: true,
      uploadId: 'u1',
      status: 'submitted',
      raw: { success: true, upload_id: 'u1', status: 'submitted' },
    });
    expect(server.seen('/uploader/manage/submit').map((r) => r.status)).toEqual([503, 200]);
  });

  it('gives up after the attempts with the typed error and retryAfter', async () => {
    const client = clientFor(server, { retry: { attempts: 2, baseDelayMs: 1 } });
    server.hook = () => ({
      status: 429,
      headers: { 'retry-after': '0' },
      body: { message: 'slow down' },
    });
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'api')).toBe(true);
    if (!isAuraError(error, 'api')) return;
    expect(error.status).toBe(429);
    expect(error.retryAfter).toBe(0);
    expect(error.message).toContain('slow down');
    expect(server.seen('/auth/exchange')).toHaveLength(2);
  });

  it('does not wait for a Retry-After beyond the cap', async () => {
    const client = clientFor(server);
    server.hook = () => ({ status: 429, headers: { 'retry-after': '120' } });
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'api') && error.retryAfter).toBe(120);
    expect(server.seen('/auth/exchange')).toHaveLength(1);
  });

  it('does not retry other statuses', async () => {
    const client = clientFor(server);
    server.hook = () => ({ status: 500, body: { message: 'boom' } });
    expect(isAuraError(await caught(client.exchangeToken()), 'api')).toBe(true);
    expect(server.seen('/auth/exchange')).toHaveLength(1);
  });

  it('retries a POST whose connection was refused (it cannot have been processed)', async () => {
    let calls = 0;
    const fetchSpy: typeof fetch = (input, init) => {
      if (++calls === 1) {
        const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
          code: 'ECONNREFUSED',
        });
        return Promise.reject(new TypeError('fetch failed', { cause }));
      }
      return fetch(input, init);
    };
    const client = clientFor(server, { fetch: fetchSpy });
    expect((await client.exchangeToken()).token).toMatch(/^aubt_/);
    expect(calls).toBe(2);
  });

  it('never retries a POST after a reset (it may have been processed)', async () => {
    let calls = 0;
    const fetchSpy: typeof fetch = () => {
      calls++;
      const cause = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      return Promise.reject(new TypeError('fetch failed', { cause }));
    };
    const client = clientFor(server, { fetch: fetchSpy });
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'network')).toBe(true);
    expect((error as Error).message).toContain('ECONNRESET');
    expect(calls).toBe(1);
  });

  it('a refused connection, retried to the end, is a network error', async () => {
    const closed = await startTestServer();
    const url = closed.apiUrl;
    await closed.close();
    const client = clientFor(server, { baseUrl: url });
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'network')).toBe(true);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });
});

describe('timeout', () => {
  it('a call that gets no answer in time fails with a typed timeout error', async () => {
    const client = clientFor(server, { timeoutMs: 100 });
    server.hook = async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      return undefined;
    };
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'timeout')).toBe(true);
    expect((error as Error).message).toContain('100 ms');
    expect(server.seen('/auth/exchange')).toHaveLength(1); // a timeout is not retried
  });

  it("the caller's own abort signal is honoured", async () => {
    const client = clientFor(server);
    server.hook = async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      return undefined;
    };
    const controller = new AbortController();
    const pending = client.exchangeToken({ signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const error = await caught(pending);
    expect((error as Error).name).toBe('AbortError');
  });
});

describe('clock skew', () => {
  it('a server clock 10 minutes ahead is corrected once, from its Date header', async () => {
    server.clockOffsetMs = 10 * 60_000;
    const client = clientFor(server);
    await client.exchangeToken();
    const [refused, accepted] = server.seen('/auth/exchange');
    expect(refused!.verifyCode).toBe('timestamp_out_of_window');
    expect(accepted!.verified).toBe(true);
    // The correction stays: later signed calls are accepted at once.
    await client.exchangeToken();
    await client.exchangeToken();
    const all = server.seen('/auth/exchange');
    expect(all).toHaveLength(4);
    expect(all.filter((r) => r.verifyCode === 'timestamp_out_of_window')).toHaveLength(1);
  });

  it('a server clock 10 minutes behind is corrected too', async () => {
    server.clockOffsetMs = -10 * 60_000;
    const client = clientFor(server);
    await client.exchangeToken();
    expect(server.seen('/auth/exchange').map((r) => r.status)).toEqual([401, 200]);
  });

  it('corrects only once per call: a Date header that does not help is not chased', async () => {
    server.clockOffsetMs = 10 * 60_000;
    // A proxy that rewrites Date 20 minutes ahead: the correction is wrong by 10 minutes.
    const client = clientFor(server, {
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        const headers = new Headers(response.headers);
        headers.set('date', new Date(Date.now() + 20 * 60_000).toUTCString());
        return new Response(await response.arrayBuffer(), { status: response.status, headers });
      },
    });
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'auth')).toBe(true);
    expect(isAuraError(error, 'auth') && error.apiCode).toBe('timestamp_out_of_window');
    expect(server.seen('/auth/exchange')).toHaveLength(2);
  });

  it('a 401 for another reason is not taken for skew', async () => {
    const client = clientFor(server, { appSecret: 'aura_sk_wrong_secret_value' });
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'auth') && error.apiCode).toBe('invalid_signature');
    expect(server.seen('/auth/exchange')).toHaveLength(1);
  });
});
