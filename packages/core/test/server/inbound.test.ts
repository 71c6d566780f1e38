import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  createInboundVerifier,
  type InboundVerifierOptions,
  isAuraError,
  MemoryNonceStore,
  type NeutralRequest,
  type NonceStore,
  rawBodyUnavailable,
  readBodyLimited,
  signRequest,
} from '../../src/index';

const APP = { appId: 'partner-service', appSecret: 'partner-secret-0123456789' };
const OTHER = { appId: 'other-service', appSecret: 'other-secret-0123456789' };
const SECRETS = { [APP.appId]: APP.appSecret, [OTHER.appId]: OTHER.appSecret };
const HOST = 'partner.example.com';
const encoder = new TextEncoder();

interface Received {
  request: NeutralRequest;
  body: Uint8Array | undefined;
}

/** Signs a call and answers it as a server receives it: raw target, headers, exact bytes. */
async function signed(
  options: {
    body?: string;
    path?: string;
    contentType?: string | null;
    credentials?: typeof APP;
  } = {},
): Promise<Received> {
  const headers: Record<string, string> = { Host: HOST };
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  if (contentType !== null) headers['Content-Type'] = contentType;
  const out = await signRequest(options.credentials ?? APP, {
    method: 'POST',
    url: options.path ?? '/hooks/aura?x=1',
    baseUrl: `https://${HOST}`,
    headers,
    body: options.body ?? '{"event":"upload.completed","n":1}',
  });
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(out.headers)) lower[name.toLowerCase()] = value;
  const body =
    out.body === undefined
      ? undefined
      : typeof out.body === 'string'
        ? encoder.encode(out.body)
        : out.body;
  return {
    request: { method: out.method, url: out.url.replace(/^https?:\/\/[^/]+/, ''), headers: lower },
    body,
  };
}

function verifier(options: Partial<InboundVerifierOptions> = {}) {
  return createInboundVerifier({
    secrets: SECRETS,
    nonceStore: new MemoryNonceStore(),
    ...options,
  });
}

describe('createInboundVerifier', () => {
  it('accepts a valid call, names the caller and parses JSON from the verified bytes', async () => {
    const call = await signed();
    const result = await verifier().verify(call.request, call.body);
    expect(result).toEqual({
      ok: true,
      caller: { appId: APP.appId },
      body: { event: 'upload.completed', n: 1 },
    });
  });

  it('verifies from the raw bytes: spacing a re-serialisation would lose still verifies', async () => {
    const call = await signed({ body: '{ "event" :  "upload.completed",\n  "n": 1 }' });
    const result = await verifier().verify(call.request, call.body);
    expect(result.ok && result.body).toEqual({ event: 'upload.completed', n: 1 });
    // ...and the re-serialised body does not.
    const reserialised = encoder.encode(JSON.stringify({ event: 'upload.completed', n: 1 }));
    const again = await signed({ body: '{ "event" :  "upload.completed",\n  "n": 1 }' });
    const failed = await verifier().verify(again.request, reserialised);
    expect(failed.ok).toBe(false);
  });

  it('refuses a replay of the same call', async () => {
    const call = await signed();
    const v = verifier();
    expect((await v.verify(call.request, call.body)).ok).toBe(true);
    const replay = await v.verify(call.request, call.body);
    expect(!replay.ok && replay.response).toMatchObject({
      status: 401,
      body: { error: { code: 'replayed_nonce' } },
    });
  });

  it('refuses one changed body byte, a changed path, no signature and a wrong key', async () => {
    const v = verifier();
    const call = await signed();
    const tampered = call.body!.slice();
    const at = tampered.length - 2;
    tampered[at] = (tampered[at] ?? 0) ^ 1;
    const changed = await v.verify(call.request, tampered);
    expect(!changed.ok && changed.response.body).toMatchObject({
      error: { code: 'invalid_signature' },
    });

    const moved = await signed();
    const path = await v.verify({ ...moved.request, url: '/hooks/other?x=1' }, moved.body);
    expect(!path.ok && path.response.status).toBe(401);

    const unsigned = await v.verify(
      { method: 'POST', url: '/hooks/aura', headers: { host: HOST } },
      encoder.encode('{}'),
    );
    expect(!unsigned.ok && unsigned.response).toMatchObject({
      status: 401,
      body: { error: { code: 'missing_authorization' } },
    });

    const wrong = await signed({ credentials: { ...APP, appSecret: 'not-the-secret-at-all' } });
    const bad = await v.verify(wrong.request, wrong.body);
    expect(!bad.ok && bad.response.body).toMatchObject({ error: { code: 'invalid_signature' } });
    expect(JSON.stringify(bad)).not.toContain(APP.appSecret);
  });

  it('refuses an app outside `only` with 403, or with failureStatus when set', async () => {
    const call = await signed({ credentials: OTHER });
    const result = await verifier({ only: [APP.appId] }).verify(call.request, call.body);
    expect(!result.ok && result.response).toMatchObject({
      status: 403,
      body: { error: { code: 'app_not_allowed' } },
    });
    const again = await signed({ credentials: OTHER });
    const custom = await verifier({ only: [APP.appId], failureStatus: 404 }).verify(
      again.request,
      again.body,
    );
    expect(!custom.ok && custom.response.status).toBe(404);
  });

  it('keeps 400 for malformed requests whatever failureStatus says', async () => {
    const call = await signed();
    const auth = call.request.headers.authorization as string;
    const result = await verifier({ failureStatus: 404 }).verify(
      { ...call.request, headers: { ...call.request.headers, authorization: [auth, auth] } },
      call.body,
    );
    expect(!result.ok && result.response).toMatchObject({
      status: 400,
      body: { error: { code: 'duplicate_header' } },
    });
  });

  it('answers 413 for bytes over maxBodyBytes without verifying them', async () => {
    const call = await signed({ body: JSON.stringify({ pad: 'x'.repeat(100) }) });
    const result = await verifier({ maxBodyBytes: 50 }).verify(call.request, call.body);
    expect(!result.ok && result.response).toMatchObject({
      status: 413,
      body: { error: { code: 'body_too_large' } },
    });
    expect(verifier().maxBodyBytes).toBe(1_048_576);
  });

  it('answers 503, never a pass, when the nonce store fails', async () => {
    const broken: NonceStore = {
      claim: () => Promise.reject(new Error('down')),
    } as unknown as NonceStore;
    const call = await signed();
    const result = await verifier({ nonceStore: broken }).verify(call.request, call.body);
    expect(!result.ok && result.response.status).toBe(503);
  });

  it('hands non-JSON bodies on as bytes and sniffs JSON when no content type came', async () => {
    const text = await signed({
      body: 'a=1&b=2',
      contentType: 'application/x-www-form-urlencoded',
    });
    const form = await verifier().verify(text.request, text.body);
    expect(form.ok && form.body).toEqual(encoder.encode('a=1&b=2'));

    const bare = await signed({ body: '[1,2]', contentType: null });
    const sniffed = await verifier().verify(bare.request, bare.body);
    expect(sniffed.ok && sniffed.body).toEqual([1, 2]);

    const empty = await signed({ body: '', contentType: null });
    const none = await verifier().verify(empty.request, undefined);
    expect(none).toMatchObject({ ok: true, body: undefined });
  });

  it('answers 400 invalid_json for a signed body that is not the JSON it claims', async () => {
    const call = await signed({ body: '{"a":' });
    const result = await verifier().verify(call.request, call.body);
    expect(!result.ok && result.response).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_json' } },
    });
  });

  it('refuses bad options at start-up, naming the option', () => {
    const cases: Array<[Partial<InboundVerifierOptions>, RegExp]> = [
      [{ secrets: undefined as never }, /secrets/],
      [{ secrets: {} }, /secrets holds no app id/],
      [{ secrets: { a: '' } }, /secrets\["a"\]/],
      [{ only: [] }, /only/],
      [{ hosts: [''] }, /hosts/],
      [{ skewSeconds: Number.NaN }, /skewSeconds/],
      [{ maxBodyBytes: -1 }, /maxBodyBytes/],
      [{ failureStatus: 200 }, /failureStatus/],
      [{ timeoutMs: 0 }, /timeoutMs/],
    ];
    for (const [options, message] of cases) {
      let error: unknown;
      try {
        createInboundVerifier({ secrets: SECRETS, ...options });
      } catch (caught) {
        error = caught;
      }
      expect(isAuraError(error, 'configuration'), String(message)).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
    expect(() => createInboundVerifier({ secrets: () => undefined })).not.toThrow();
  });

  it('names the fix when the raw body is gone', () => {
    expect(rawBodyUnavailable('Use captureRawBody.')).toMatchObject({
      status: 500,
      body: {
        error: { code: 'raw_body_unavailable', message: expect.stringMatching(/captureRawBody/) },
      },
    });
  });
});

describe('readBodyLimited', () => {
  async function* chunks(...parts: string[]) {
    for (const part of parts) yield encoder.encode(part);
  }

  it('joins chunks up to the limit', async () => {
    const result = await readBodyLimited(chunks('ab', 'cd', 'e'), 5);
    expect(result.ok && new TextDecoder().decode(result.bytes)).toBe('abcde');
  });

  it('answers 413 at the first byte past the limit, reading no further', async () => {
    let pulled = 0;
    async function* counted() {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield encoder.encode('xxxx');
      }
    }
    const result = await readBodyLimited(counted(), 6);
    expect(!result.ok && result.response.status).toBe(413);
    expect(pulled).toBe(2);
  });

  it('answers 413 from a declared Content-Length alone', async () => {
    let pulled = false;
    async function* never() {
      pulled = true;
      yield encoder.encode('x');
    }
    const result = await readBodyLimited(never(), 10, '11');
    expect(!result.ok && result.response.status).toBe(413);
    expect(pulled).toBe(false);
    expect((await readBodyLimited(chunks('x'), 10, 'bogus')).ok).toBe(true);
  });

  it('reads a Node stream through its events: chunks joined, a paused stream resumed, strings as UTF-8', async () => {
    const stream = new PassThrough();
    stream.pause();
    const read = readBodyLimited(stream, 16);
    stream.write('ab');
    stream.write('cd');
    stream.end('é');
    const result = await read;
    expect(result.ok && new TextDecoder().decode(result.bytes)).toBe('abcdé');
    expect(stream.listenerCount('data') + stream.listenerCount('end')).toBe(0);

    const text = new PassThrough();
    text.setEncoding('utf8');
    const textRead = readBodyLimited(text, 16);
    text.end('é!');
    const textResult = await textRead;
    expect(textResult.ok && Array.from(textResult.bytes)).toEqual([0xc3, 0xa9, 0x21]);
  });

  it('answers 413 from a Node stream at the first chunk past the limit and leaves it paused', async () => {
    const stream = new PassThrough();
    const read = readBodyLimited(stream, 6);
    stream.write('xxxx');
    stream.write('xxxx');
    const result = await read;
    expect(!result.ok && result.response.status).toBe(413);
    expect(stream.isPaused()).toBe(true);
    expect(stream.destroyed).toBe(false);
  });

  it('rejects when a Node stream fails or closes before its end, and reads an ended one as empty', async () => {
    const failing = new PassThrough();
    const failed = readBodyLimited(failing, 100);
    failing.write('x');
    failing.destroy(new Error('connection reset'));
    await expect(failed).rejects.toThrow('connection reset');

    const closing = new PassThrough();
    const closed = readBodyLimited(closing, 100);
    closing.write('x');
    closing.destroy();
    await expect(closed).rejects.toThrow(/closed before its body was complete/);

    const ended = new PassThrough();
    ended.end();
    ended.resume();
    await new Promise((resolve) => ended.once('end', resolve));
    const empty = await readBodyLimited(ended, 100);
    expect(empty.ok && empty.bytes.length).toBe(0);
  });

  it('leaves a Node request able to answer the 413 (the socket is not destroyed)', async () => {
    const server = http.createServer(async (req, res) => {
      // No Content-Length (chunked), so the limit is found while streaming.
      const result = await readBodyLimited(req, 1024, req.headers['content-length']);
      const answer = result.ok
        ? { status: 200, body: { size: result.bytes.length } }
        : result.response;
      res.writeHead(answer.status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.write('x'.repeat(4096));
        setTimeout(() => req.end('y'.repeat(4096)), 20);
      });
      expect(status).toBe(413);
      const small = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'hello' });
      expect(await small.json()).toEqual({ size: 5 });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
