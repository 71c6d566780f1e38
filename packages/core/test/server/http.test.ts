import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  bytesWithinLimit,
  errorResponse,
  headersFromNode,
  headersFromWeb,
  headerValue,
  isJsonContentType,
  jsonResponse,
  nodeBodyLength,
  parseJson,
} from '../../src/index';
import { looksLikeJson } from '../../src/server/http';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('neutral http helpers', () => {
  it('builds error answers as { error: { code, message } }', () => {
    expect(errorResponse(429, 'rate_limited', 'slow down', { 'retry-after': '3' })).toEqual({
      status: 429,
      headers: { 'retry-after': '3' },
      body: { error: { code: 'rate_limited', message: 'slow down' } },
    });
    expect(jsonResponse(200, { a: 1 })).toEqual({ status: 200, headers: {}, body: { a: 1 } });
  });

  it('converts Web headers, keeping a repeated Authorization visible as one joined value', () => {
    const headers = new Headers();
    headers.append('Authorization', 'AURA-HMAC-SHA256 a');
    headers.append('Authorization', 'AURA-HMAC-SHA256 b');
    headers.append('X-Aura-Nonce', 'n');
    headers.append('Set-Cookie', 'a=1');
    headers.append('Set-Cookie', 'b=2');
    const out = headersFromWeb(headers);
    expect(out.authorization).toBe('AURA-HMAC-SHA256 a, AURA-HMAC-SHA256 b');
    expect(out['x-aura-nonce']).toBe('n');
    expect(out['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('reads a header case-insensitively, the first of several', () => {
    expect(headerValue({ 'Content-Type': 'application/json' }, 'content-type')).toBe(
      'application/json',
    );
    expect(headerValue({ host: ['a', 'b'] }, 'Host')).toBe('a');
    expect(headerValue({ host: undefined }, 'host')).toBeUndefined();
  });

  it('recognises JSON content types only', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('application/json; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/vnd.api+json')).toBe(true);
    expect(isJsonContentType('application/jsonp')).toBe(false);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });

  it('parses JSON from bytes and text; empty is undefined; bad input is a failure, not a throw', () => {
    expect(parseJson(bytes('{"a":1}'))).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJson('[1]')).toEqual({ ok: true, value: [1] });
    expect(parseJson(bytes('  '))).toEqual({ ok: true, value: undefined });
    expect(parseJson(undefined)).toEqual({ ok: true, value: undefined });
    expect(parseJson(bytes('{"a":'))).toEqual({ ok: false, message: 'the body is not valid JSON' });
    expect(parseJson(new Uint8Array([0x7b, 0xff, 0x7d]))).toEqual({
      ok: false,
      message: 'the body is not valid UTF-8',
    });
  });

  it('sniffs JSON only from a leading { or [ (after whitespace and a BOM)', () => {
    expect(looksLikeJson(bytes(' \n{"a":1}'))).toBe(true);
    expect(looksLikeJson(new Uint8Array([0xef, 0xbb, 0xbf, 0x5b, 0x5d]))).toBe(true);
    expect(looksLikeJson(bytes('a=1'))).toBe(false);
    expect(looksLikeJson(bytes('   '))).toBe(false);
  });
});

describe('headersFromNode', () => {
  /** Sends `head` (request line and header lines) over a raw socket; `inspect` sees Node's request. */
  async function received<T>(head: string, inspect: (req: http.IncomingMessage) => T): Promise<T> {
    let seen: T | undefined;
    const server = http.createServer((req, res) => {
      seen = inspect(req);
      res.writeHead(204, { connection: 'close' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.end(`${head}\r\n\r\n`));
        socket.on('error', reject);
        socket.on('close', () => resolve());
        socket.resume();
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    return seen as T;
  }

  const request = (...lines: string[]) =>
    ['GET / HTTP/1.1', 'Host: a.example', ...lines, 'Connection: close'].join('\r\n');

  it('answers the built `headers` when every field arrived once and is unchanged', async () => {
    const same = await received(
      request('Authorization: AURA x', 'X-Aura-Nonce: n1'),
      (req) => headersFromNode(req) === req.headers,
    );
    expect(same).toBe(true);
  });

  it('answers every value of a repeated field, as headersDistinct does', async () => {
    const headers = await received(
      request('Authorization: AURA a', 'authorization: AURA b', 'X-Aura-Nonce: n1'),
      (req) => headersFromNode(req),
    );
    expect(headers.authorization).toEqual(['AURA a', 'AURA b']);
    expect(headers.host).toEqual(['a.example']);
  });

  it('answers the received values when a field was rewritten, added or removed after parsing', async () => {
    const rewritten = await received(request('X-Aura-Nonce: n1'), (req) => {
      req.headers.host = 'b.example';
      return headersFromNode(req);
    });
    expect(rewritten.host).toEqual(['a.example']);

    const added = await received(request('X-Aura-Nonce: n1'), (req) => {
      req.headers['x-aura-extra'] = 'added';
      return headersFromNode(req);
    });
    expect(added['x-aura-extra']).toBeUndefined();

    const removed = await received(request('X-Aura-Nonce: n1'), (req) => {
      delete req.headers['x-aura-nonce'];
      return headersFromNode(req);
    });
    expect(removed['x-aura-nonce']).toEqual(['n1']);
  });

  it('is not fooled by an identical repeat that Node folded away plus a field added to even the count', async () => {
    const headers = await received(
      request('Authorization: AURA same', 'Authorization: AURA same'),
      (req) => {
        // Node keeps one Authorization; one key added makes the key count match again.
        req.headers['x-padding'] = 'p';
        return headersFromNode(req);
      },
    );
    expect(headers.authorization).toEqual(['AURA same', 'AURA same']);
  });

  it('uses `headers` when the request has no rawHeaders (a hand-made request)', () => {
    const headers = { host: 'a.example' };
    expect(headersFromNode({ headers })).toBe(headers);
  });
});

describe('nodeBodyLength', () => {
  const h1 = (headers: Record<string, string>) => ({ httpVersionMajor: 1, headers });

  it('is the declared length when Node delimits the body by it', () => {
    expect(nodeBodyLength(h1({ 'content-length': '1024' }))).toBe(1024);
    expect(nodeBodyLength(h1({ 'content-length': '0' }))).toBe(0);
  });

  it('is null without Content-Length or Transfer-Encoding: no body', () => {
    expect(nodeBodyLength(h1({}))).toBeNull();
  });

  it('is unknown for chunked bodies, lengths that are not plain digits, and HTTP/2', () => {
    expect(nodeBodyLength(h1({ 'content-length': '10', 'transfer-encoding': 'chunked' }))).toBe(
      undefined,
    );
    expect(nodeBodyLength(h1({ 'content-length': '1e3' }))).toBeUndefined();
    expect(nodeBodyLength(h1({ 'content-length': '-1' }))).toBeUndefined();
    expect(
      nodeBodyLength({ httpVersionMajor: 2, headers: { 'content-length': '10' } }),
    ).toBeUndefined();
  });
});

describe('bytesWithinLimit', () => {
  it('passes bytes up to the limit and answers 413 body_too_large past it', () => {
    expect(bytesWithinLimit(bytes('abcd'), 4)).toEqual({ ok: true, bytes: bytes('abcd') });
    const refused = bytesWithinLimit(bytes('abcde'), 4);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.response.status).toBe(413);
      expect(refused.response.body).toMatchObject({ error: { code: 'body_too_large' } });
    }
  });
});
