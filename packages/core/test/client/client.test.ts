import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuraClient, isAuraError, normalizeBaseUrl } from '../../src/index';
import { startTestServer, type TestServer } from '../support/aura-server';
import { caught, clientFor } from './helpers';

let server: TestServer;

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  await server.close();
});

describe('exchangeToken', () => {
  for (const shape of ['both', 'uploader', 'python'] as const) {
    it(`normalises the ${shape} answer shape`, async () => {
      server.shape = shape;
      const client = clientFor(server);
      const before = Date.now();
      const token = await client.exchangeToken({ ttl: 600, scopes: ['upload:init'], maxUses: 5 });
      expect(token.token).toMatch(/^aubt_[0-9a-f]{32}$/);
      expect(token.expiresAt).toBeInstanceOf(Date);
      expect(token.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 599_000);
      expect(token.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 601_000);
      expect(token.scopes).toEqual(['upload:init']);
      expect(token.maxUses).toBe(5);
      expect(server.seen('/auth/exchange')[0]!.json).toEqual({
        ttl: 600,
        scopes: ['upload:init'],
        max_uses: 5,
      });
    });
  }

  it('signs with HMAC, sends X-Api-Key, and verifies although fetch may not set Host', async () => {
    const passed: Array<Record<string, string>> = [];
    const client = clientFor(server, {
      fetch: (input, init) => {
        passed.push({ ...(init?.headers as Record<string, string>) });
        return fetch(input, init);
      },
    });
    await client.exchangeToken();
    const [seen] = server.seen('/auth/exchange');
    expect(seen!.verified).toBe(true);
    expect(seen!.headers['x-api-key']).toBe(server.credentials.apiKey);
    expect(seen!.headers.authorization).toMatch(
      /^AURA-HMAC-SHA256 Credential=aura_pk_test,SignedHeaders=content-type;host;x-aura-nonce;x-aura-timestamp,Signature=[0-9a-f]{64}$/,
    );
    // Host was signed, but handed to fetch only as the URL (fetch refuses a Host header).
    expect(Object.keys(passed[0]!).map((h) => h.toLowerCase())).not.toContain('host');
    expect(seen!.headers.host).toBe(new URL(server.url).host);
  });

  it('is not cached: getAccessToken() keeps its own token', async () => {
    const client = clientFor(server);
    const minted = await client.exchangeToken({ scopes: ['upload:init'] });
    const cached = await client.getAccessToken();
    expect(cached).not.toBe(minted.token);
    expect(await client.getAccessToken()).toBe(cached);
    expect(server.seen('/auth/exchange')).toHaveLength(2);
  });

  it('refuses a ttl beyond 24 hours before calling', async () => {
    const client = clientFor(server);
    expect(
      isAuraError(await caught(client.exchangeToken({ ttl: 86_401 })), 'invalid_argument'),
    ).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it('does not repeat a validation message that Laravel already used as the top-level one', async () => {
    const client = clientFor(server);
    const said = 'The upload id field must be a valid UUID (version 4).';
    server.hook = () => ({
      status: 422,
      body: { message: said, errors: { upload_id: [said] } },
    });
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'api')).toBe(true);
    if (!isAuraError(error, 'api')) return;
    expect(error.message.split(said)).toHaveLength(2);
    expect(error.message).not.toContain('(upload_id:');
    expect(error.errors).toEqual({ upload_id: [said] });
  });

  it('turns a 422 into an api error with the validation messages', async () => {
    const client = clientFor(server);
    server.hook = () => ({
      status: 422,
      body: {
        message: 'The given data was invalid.',
        errors: { scopes: ['The scopes field is invalid.'] },
      },
    });
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'api')).toBe(true);
    if (!isAuraError(error, 'api')) return;
    expect(error.status).toBe(422);
    expect(error.errors).toEqual({ scopes: ['The scopes field is invalid.'] });
    expect(error.message).toContain(
      'The given data was invalid. (scopes: The scopes field is invalid.)',
    );
    expect(error.body).toEqual({
      message: 'The given data was invalid.',
      errors: { scopes: ['The scopes field is invalid.'] },
    });
  });

  it('turns a bad API key into an auth error with the server code', async () => {
    const client = clientFor(server, { apiKey: 'aura_au_wrong' });
    const error = await caught(client.exchangeToken());
    expect(isAuraError(error, 'auth')).toBe(true);
    expect(isAuraError(error, 'auth') && error.apiCode).toBe('invalid_api_key');
  });
});

describe('base URL', () => {
  it('normalises to the API root', () => {
    expect(normalizeBaseUrl('https://aura.example.com')).toBe('https://aura.example.com/api');
    expect(normalizeBaseUrl('https://aura.example.com/')).toBe('https://aura.example.com/api');
    expect(normalizeBaseUrl('https://aura.example.com/api')).toBe('https://aura.example.com/api');
    expect(normalizeBaseUrl('https://aura.example.com/api//')).toBe('https://aura.example.com/api');
    expect(normalizeBaseUrl('https://h.example/aura')).toBe('https://h.example/aura/api');
    for (const bad of [
      '',
      'aura.example.com',
      'ftp://h/api',
      'https://u:p@h/api',
      'https://h/api?x=1',
    ]) {
      expect(
        isAuraError(caught(Promise.resolve().then(() => normalizeBaseUrl(bad))), undefined),
      ).toBe(false);
      let error: unknown;
      try {
        normalizeBaseUrl(bad);
      } catch (e) {
        error = e;
      }
      expect(isAuraError(error, 'configuration')).toBe(true);
    }
  });

  for (const suffix of ['', '/', '/api', '/api/']) {
    it(`works with the base URL given as host${suffix}`, async () => {
      const client = clientFor(server, { baseUrl: server.url + suffix });
      expect(client.baseUrl).toBe(server.apiUrl);
      const result = await client.submit({ uploadId: 'u1' });
      expect(result.success).toBe(true);
      expect(server.seen('/auth/exchange')[0]!.verified).toBe(true);
      expect(server.seen('/uploader/manage/submit')).toHaveLength(1);
    });
  }
});

describe('endpoints', () => {
  it('submit and withdraw send snake_case and answer camelCase', async () => {
    const client = clientFor(server);
    expect(await client.submit({ uploadId: 'u1', metadata: { study_type: 'CT' } })).toEqual({
      success: true,
      uploadId: 'u1',
      status: 'submitted',
      raw: { success: true, upload_id: 'u1', status: 'submitted' },
    });
    expect(await client.withdraw({ uploadId: 'u1', reason: 'Duplicate upload' })).toEqual({
      success: true,
      uploadId: 'u1',
      status: 'withdrawn',
      message: 'ok',
      raw: { success: true, upload_id: 'u1', status: 'withdrawn', message: 'ok' },
    });
    expect(server.seen('/uploader/manage/submit')[0]!.json).toEqual({
      upload_id: 'u1',
      metadata: { study_type: 'CT' },
    });
    expect(server.seen('/uploader/manage/withdraw')[0]!.json).toEqual({
      upload_id: 'u1',
      reason: 'Duplicate upload',
    });
    for (const r of server.requests.filter((q) => q.bearer !== undefined)) {
      expect(r.headers['x-api-key']).toBe(server.credentials.apiKey);
      expect(r.headers['content-type']).toBe('application/json');
    }
  });

  it('the uploader calls', async () => {
    const client = clientFor(server);
    const config = await client.getUploaderConfig();
    expect(config.lift.endpoint).toBe(`${server.url}/files/`);
    const init = await client.initUpload({
      uploadId: '6f1c9a52-3f39-4f7e-9d3c-2b0f3a1d9e11',
      studies: { '1.2.3': { patient_name: 'X', modalities: ['CT'], series_count: 1, images: 3 } },
      source: 'partner',
      patientId: 'p1',
    });
    // Aura's documented answer has only the studies: the id sent stands in for upload_id.
    expect(init).toEqual({
      uploadId: '6f1c9a52-3f39-4f7e-9d3c-2b0f3a1d9e11',
      studies: [{ id: 'study-1' }],
      raw: { studies: [{ id: 'study-1' }] },
    });
    const step = { uploadId: 'u1', assemblyId: 'a1' };
    // Empty 2xx answers (the API promises nothing more): the id sent, and no body.
    const empty = { uploadId: 'u1', raw: undefined };
    expect(await client.startUpload(step)).toEqual(empty);
    expect(await client.completeUpload(step)).toEqual(empty);
    expect(await client.reportUploadError({ uploadId: 'u1', message: 'tus failed' })).toEqual(
      empty,
    );
    expect(await client.cancelUpload({ uploadId: 'u1' })).toEqual(empty);
    expect(server.seen('/uploader/upload/init')[0]!.json).toEqual({
      upload_id: '6f1c9a52-3f39-4f7e-9d3c-2b0f3a1d9e11',
      studies: { '1.2.3': { patient_name: 'X', modalities: ['CT'], series_count: 1, images: 3 } },
      mode: 'bulk',
      source: 'partner',
      patient_id: 'p1',
    });
    expect(server.seen('/uploader/upload/start')[0]!.json).toEqual({
      upload_id: 'u1',
      assembly_id: 'a1',
      mode: 'bulk',
    });
    expect(server.seen('/uploader/upload/error')[0]!.json).toEqual({
      upload_id: 'u1',
      message: 'tus failed',
      mode: 'bulk',
    });
    expect(server.seen('/uploader/upload/cancel')[0]!.json).toEqual({
      upload_id: 'u1',
      mode: 'bulk',
    });
    expect(server.seen('/auth/exchange')).toHaveLength(1);
  });

  it('every uploader answer is camelCase, with the snake_case answer kept as raw', async () => {
    const client = clientFor(server);
    const uploadId = '6f1c9a52-3f39-4f7e-9d3c-2b0f3a1d9e11';
    // What the sandbox (and a newer Aura) answer: more fields, all snake_case.
    const initAnswer = {
      studies: [{ id: 'study-1', study_uid: '1.2.3', later_field: 1 }],
      upload_id: uploadId,
      status: 'initialized',
    };
    const stepAnswer = (status: string) => ({
      success: true,
      upload_id: uploadId,
      status,
      message: 'ok',
      assembly_id: 'a1',
    });
    server.hook = (req) => {
      if (req.bearer === undefined) return undefined;
      if (req.path.endsWith('/init')) return { status: 200, body: initAnswer };
      const action = req.path.split('/').pop()!;
      return { status: 200, body: stepAnswer(action) };
    };
    const init = await client.initUpload({ uploadId, studies: { '1.2.3': {} } });
    expect(init).toEqual({
      uploadId,
      studies: [{ id: 'study-1', studyUid: '1.2.3' }],
      status: 'initialized',
      raw: initAnswer,
    });
    const step = { uploadId, assemblyId: 'a1' };
    const results = {
      start: await client.startUpload(step),
      complete: await client.completeUpload(step),
      error: await client.reportUploadError({ uploadId, message: 'tus failed' }),
      cancel: await client.cancelUpload({ uploadId }),
    };
    for (const [action, result] of Object.entries(results)) {
      expect(result).toEqual({
        uploadId,
        success: true,
        status: action,
        message: 'ok',
        raw: stepAnswer(action),
      });
    }
    for (const result of [init, ...Object.values(results)]) {
      const keys = Object.keys(result).filter((key) => key !== 'raw');
      expect(keys.filter((key) => key.includes('_'))).toEqual([]);
    }
  });

  it('an uploader answer that breaks the API promise is an invalid response', async () => {
    const client = clientFor(server);
    const uploadId = '6f1c9a52-3f39-4f7e-9d3c-2b0f3a1d9e11';
    let answer: unknown;
    server.hook = (req) => (req.bearer === undefined ? undefined : { status: 200, body: answer });
    for (const bad of [{ studies: [{ name: 'no id' }] }, { studies: [null] }, { studies: 'x' }]) {
      answer = bad;
      const error = await caught(client.initUpload({ uploadId, studies: { '1.2.3': {} } }));
      expect(isAuraError(error, 'invalid_response')).toBe(true);
    }
    answer = ['not', 'an', 'object'];
    const error = await caught(client.startUpload({ uploadId, assemblyId: 'a1' }));
    expect(isAuraError(error, 'invalid_response')).toBe(true);
  });

  it('refuses a missing upload id before calling', async () => {
    const client = clientFor(server);
    const error = await caught(client.submit({ uploadId: '' }));
    expect(isAuraError(error, 'invalid_argument')).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it('a manage answer without success or status is an invalid response', async () => {
    const client = clientFor(server);
    server.hook = (req) =>
      req.bearer === undefined ? undefined : { status: 200, body: { ok: 1 } };
    expect(isAuraError(await caught(client.submit({ uploadId: 'u1' })), 'invalid_response')).toBe(
      true,
    );
  });
});

describe('request()', () => {
  it('merges default headers with per-call headers (per call wins, nothing persisted)', async () => {
    const client = clientFor(server, {
      defaultHeaders: { 'X-Partner': 'default', 'X-Trace': 'keep' },
    });
    await client.request('GET', '/things', { headers: { 'x-partner': 'call', 'X-Once': '1' } });
    await client.request('GET', '/things');
    const [first, second] = server.seen('/things');
    expect(first!.headers['x-partner']).toBe('call');
    expect(first!.headers['x-trace']).toBe('keep');
    expect(first!.headers['x-once']).toBe('1');
    expect(second!.headers['x-partner']).toBe('default');
    expect(second!.headers['x-once']).toBeUndefined();
    expect(first!.rawHeaders.filter((h) => h.toLowerCase() === 'x-partner')).toHaveLength(1);
  });

  it('parses JSON by default and adds the query', async () => {
    const client = clientFor(server);
    const answer = await client.request<{ url: string }>('GET', '/things', {
      query: { page: 2, q: 'a b', skip: undefined },
    });
    expect(answer.url).toBe('/api/things?page=2&q=a%20b');
  });

  it('sends bytes as bytes, whatever view holds them (bearer and signed alike)', async () => {
    const client = clientFor(server);
    const bytes = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d]); // {"a":1}
    await client.request('POST', '/things', { body: bytes.buffer });
    await client.request('POST', '/things', { body: new DataView(bytes.buffer, 1, 3) });
    await client.request('POST', '/things', { body: bytes.buffer, auth: 'hmac' });
    const [whole, view, signed] = server.seen('/things');
    expect(whole!.body).toBe('{"a":1}');
    expect(view!.body).toBe('"a"');
    expect(signed!.body).toBe('{"a":1}');
  });

  it('refuses a body it cannot send faithfully with invalid_body, before sending', async () => {
    const client = clientFor(server);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const body of [{ n: 1n }, circular, new Blob(['x']), new URLSearchParams('a=1')]) {
      expect(
        isAuraError(await caught(client.request('POST', '/things', { body })), 'invalid_body'),
      ).toBe(true);
    }
    expect(server.seen('/things')).toHaveLength(0);
  });

  it('answers the raw Response when asked, whatever its status', async () => {
    const client = clientFor(server);
    server.hook = (req) =>
      req.path === '/api/missing' ? { status: 404, body: { message: 'Not Found' } } : undefined;
    const response = await client.request('GET', '/missing', { raw: true });
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
  });

  it('signs any endpoint with auth: hmac', async () => {
    const client = clientFor(server);
    const answer = await client.request<{ signed: boolean; url: string }>('POST', '/custom/thing', {
      auth: 'hmac',
      body: { a: 1 },
      query: { z: 1, a: 2 },
    });
    expect(answer.signed).toBe(true);
    expect(server.seen('/custom/thing')[0]!.verified).toBe(true);
  });

  it('turns error shapes into readable messages', async () => {
    const client = clientFor(server);
    const answers: Record<string, { status: number; body?: unknown }> = {
      '/a': {
        status: 403,
        body: { error: { code: 'insufficient_scope', message: 'scope upload:manage required' } },
      },
      '/b': { status: 404, body: { message: 'Upload not found' } },
      '/c': { status: 502, body: '<html>bad gateway</html>' },
      '/d': { status: 409, body: { error: 'illegal transition' } },
    };
    server.hook = (req) => answers[req.path.slice(4)];
    const a = await caught(client.request('GET', '/a'));
    expect(isAuraError(a, 'auth') && [a.status, a.apiCode]).toEqual([403, 'insufficient_scope']);
    expect((a as Error).message).toContain('scope upload:manage required');
    const b = await caught(client.request('GET', '/b'));
    expect(isAuraError(b, 'api') && b.message).toContain('404 to GET /b: Upload not found');
    const c = await caught(client.request('GET', '/c'));
    expect(isAuraError(c, 'api') && c.body).toBe('<html>bad gateway</html>');
    const d = await caught(client.request('GET', '/d'));
    expect((d as Error).message).toContain('illegal transition');
  });

  it('refuses absolute URLs and headers the client sets itself', async () => {
    const client = clientFor(server);
    for (const call of [
      client.request('GET', 'https://evil.example/steal'),
      client.request('GET', '//evil.example/steal'),
      client.request('GET', '/x', { headers: { Authorization: 'Bearer mine' } }),
      client.request('GET', '/x', { headers: { 'X-Aura-Nonce': 'n' } }),
    ]) {
      expect(isAuraError(await caught(call), 'invalid_argument')).toBe(true);
    }
    expect(server.requests).toHaveLength(0);
  });
});

describe('secrets', () => {
  it('never puts the secret, the API key, a token or a signature in an error', async () => {
    const client = clientFor(server, { timeoutMs: 200 });
    const token = await client.getAccessToken();
    const signature = server
      .seen('/auth/exchange')[0]!
      .headers.authorization!.split('Signature=')[1]!;
    const { appSecret, apiKey } = server.credentials;
    server.hook = async (req) => {
      if (req.path === '/api/echo') {
        return {
          status: 400,
          body: { message: `bad ${req.headers.authorization} ${appSecret} ${apiKey} ${signature}` },
        };
      }
      if (req.path === '/api/slow') await new Promise((resolve) => setTimeout(resolve, 400));
      return undefined;
    };
    const errors = [
      await caught(client.request('GET', '/echo')),
      await caught(client.request('POST', '/echo', { auth: 'hmac' })),
      await caught(client.request('GET', '/slow')),
      await caught(clientFor(server, { apiKey: 'aura_au_other_key_1234' }).exchangeToken()),
      await caught(
        Promise.resolve().then(
          () => new AuraClient({ baseUrl: 'nope', appId: '', appSecret, apiKey: '' }),
        ),
      ),
    ];
    for (const error of errors) {
      expect(isAuraError(error)).toBe(true);
      const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).message}`;
      for (const secret of [appSecret, apiKey, token, signature])
        expect(text).not.toContain(secret);
    }
  });
});

describe('options', () => {
  it('names every invalid option at once', () => {
    let error: unknown;
    try {
      new AuraClient({
        baseUrl: 'ftp://x',
        appId: '',
        appSecret: '',
        apiKey: '',
        tokenTtl: 90_000,
        timeoutMs: 0,
      });
    } catch (e) {
      error = e;
    }
    expect(isAuraError(error, 'configuration')).toBe(true);
    const message = (error as Error).message;
    for (const word of ['baseUrl', 'appId', 'appSecret', 'apiKey', 'tokenTtl', 'timeoutMs']) {
      expect(message).toContain(word);
    }
  });
});

describe('the platform fetch', () => {
  it('is called as a plain function, as workerd requires (no "Illegal invocation")', async () => {
    const server = await startTestServer();
    const platformFetch = globalThis.fetch;
    // workerd's fetch throws when called as a method of any other object.
    const strictFetch = function (
      this: unknown,
      input: Parameters<typeof fetch>[0],
      init?: RequestInit,
    ) {
      if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
      return platformFetch(input, init);
    };
    globalThis.fetch = strictFetch as typeof fetch;
    try {
      const client = clientFor(server);
      await expect(client.getAccessToken()).resolves.toMatch(/^aubt_/);
    } finally {
      globalThis.fetch = platformFetch;
      await server.close();
    }
  });
});
