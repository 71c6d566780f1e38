/**
 * How `verifyAuraSignature()` reads the body on `@hono/node-server`, over real HTTP: a body whose
 * length Node's parser enforces is checked against the limit before a byte is read and then read
 * whole; any other body is read as a stream against the limit. Either way the handler reads the
 * verified bytes through Hono's own readers.
 */
import http from 'node:http';
import net from 'node:net';
import { signRequest } from '@aura/core';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { validator } from 'hono/validator';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyAuraSignature } from '../src/index';
import { PARTNER, secrets } from './support/app';
import { listen } from './support/node-server';

const DEADLINE_MS = 10_000;
const LIMIT = 64;
const PAYLOAD = '{ "event" : "upload.completed",\n  "id": 42 }';

type Server = Awaited<ReturnType<typeof listen>>;
let server: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(app: Hono): Promise<string> {
  server = await listen(app.fetch);
  return server.url;
}

function sign(url: string, body: string, contentType = 'application/json', method = 'POST') {
  return signRequest(PARTNER, {
    method,
    url,
    headers: method === 'GET' ? {} : { 'Content-Type': contentType },
    ...(method === 'GET' ? {} : { body }),
  });
}

interface Reply {
  status: number;
  body: unknown;
}

/**
 * A POST through node:http with the body written in `chunks` (chunked: no Content-Length), the
 * last one held back when `end` is false, so the answer must come while the body is still open.
 */
function chunkedPost(
  url: string,
  headers: Record<string, string>,
  chunks: string[],
  end = true,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', timeout: DEADLINE_MS }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) });
        request.destroy();
      });
    });
    request.on('timeout', () => request.destroy(new Error('no answer within the deadline')));
    request.on('error', (error) => {
      if (!request.writableEnded && !end) return; // the server closed a body it refused
      reject(error);
    });
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() !== 'content-length') request.setHeader(name, value);
    }
    for (const chunk of chunks) request.write(chunk);
    if (end) request.end();
  });
}

/** The first answer on a raw connection: status line and JSON body. */
function rawExchange(port: number, bytes: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(DEADLINE_MS, () => socket.destroy(new Error('no answer')));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const head = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text)?.[1];
      if (head < 0 || length === undefined) return;
      const body = text.slice(head + 4, head + 4 + Number(length));
      if (Buffer.byteLength(body) < Number(length)) return;
      socket.destroy();
      resolve({ status: Number(text.split(' ')[1]), body: JSON.parse(body) });
    });
    socket.on('error', reject);
    socket.write(bytes);
  });
}

describe('verifyAuraSignature on @hono/node-server', () => {
  it('leaves the verified bytes to c.req.json(), text(), arrayBuffer() and validator()', async () => {
    const app = new Hono();
    app.post(
      '/hooks/aura',
      verifyAuraSignature({ secrets }),
      validator('json', (value) => value),
      async (c) =>
        c.json({
          from: c.var.auraCaller.appId,
          json: await c.req.json(),
          text: await c.req.text(),
          bytes: (await c.req.arrayBuffer()).byteLength,
          valid: c.req.valid('json'),
        }),
    );
    const url = await serve(app);
    const call = await sign(`${url}/hooks/aura`, PAYLOAD);
    const answer = await fetch(call.url, { ...call, signal: AbortSignal.timeout(DEADLINE_MS) });
    expect(answer.status).toBe(200);
    const parsed = { event: 'upload.completed', id: 42 };
    expect(await answer.json()).toEqual({
      from: PARTNER.appId,
      json: parsed,
      text: PAYLOAD,
      bytes: Buffer.byteLength(PAYLOAD),
      valid: parsed,
    });
  });

  it('leaves a signed form body to c.req.parseBody() and validator("form")', async () => {
    const app = new Hono();
    app.post(
      '/hooks/aura',
      verifyAuraSignature({ secrets }),
      validator('form', (value) => value),
      async (c) => c.json({ parsed: await c.req.parseBody(), valid: c.req.valid('form') }),
    );
    const url = await serve(app);
    const form = 'event=upload.completed&id=42';
    const call = await sign(`${url}/hooks/aura`, form, 'application/x-www-form-urlencoded');
    const answer = await fetch(call.url, { ...call, signal: AbortSignal.timeout(DEADLINE_MS) });
    expect(answer.status).toBe(200);
    const fields = { event: 'upload.completed', id: '42' };
    expect(await answer.json()).toEqual({ parsed: fields, valid: fields });
  });

  it("behind Hono's bodyLimit(), which opens the body stream before the verifier runs", async () => {
    const app = new Hono();
    app.use('*', bodyLimit({ maxSize: 1024 }));
    app.post('/hooks/aura', verifyAuraSignature({ secrets }), async (c) =>
      c.json({ got: await c.req.json() }),
    );
    const url = await serve(app);
    const call = await sign(`${url}/hooks/aura`, PAYLOAD);
    const answer = await fetch(call.url, { ...call, signal: AbortSignal.timeout(DEADLINE_MS) });
    expect([answer.status, await answer.json()]).toEqual([
      200,
      { got: { event: 'upload.completed', id: 42 } },
    ]);
  });

  it('verifies a signed GET, which has no body to read', async () => {
    const app = new Hono();
    app.get('/hooks/aura', verifyAuraSignature({ secrets }), (c) =>
      c.json({ from: c.var.auraCaller.appId }),
    );
    const url = await serve(app);
    const call = await sign(`${url}/hooks/aura`, '', undefined, 'GET');
    const answer = await fetch(call.url, { ...call, signal: AbortSignal.timeout(DEADLINE_MS) });
    expect([answer.status, await answer.json()]).toEqual([200, { from: PARTNER.appId }]);
  });

  describe(`past maxBodyBytes (${LIMIT})`, () => {
    function limitedApp() {
      const app = new Hono();
      app.post('/hooks/aura', verifyAuraSignature({ secrets, maxBodyBytes: LIMIT }), async (c) =>
        c.json({ got: await c.req.json() }),
      );
      return app;
    }

    it('answers 413 on a declared Content-Length before the body is sent', async () => {
      const url = await serve(limitedApp());
      const call = await sign(`${url}/hooks/aura`, 'x'.repeat(LIMIT + 1));
      // The headers only: the answer cannot wait for a body that never comes.
      const { port } = new URL(url);
      const head = Object.entries(call.headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      const answer = await rawExchange(
        Number(port),
        `POST /hooks/aura HTTP/1.1\r\n${head}Content-Length: ${LIMIT + 1}\r\n\r\n`,
      );
      expect(answer).toMatchObject({ status: 413, body: { error: { code: 'body_too_large' } } });
    });

    it('answers 413 on a chunked body as soon as it passes the limit, its end not yet sent', async () => {
      const url = await serve(limitedApp());
      const body = `{"pad":"${'x'.repeat(LIMIT)}"}`;
      const call = await sign(`${url}/hooks/aura`, body);
      const answer = await chunkedPost(
        call.url,
        call.headers,
        [body.slice(0, 40), body.slice(40)],
        false,
      );
      expect(answer).toMatchObject({ status: 413, body: { error: { code: 'body_too_large' } } });
    });

    it('verifies a chunked body within the limit and leaves it to c.req.json()', async () => {
      const url = await serve(limitedApp());
      const call = await sign(`${url}/hooks/aura`, PAYLOAD);
      const answer = await chunkedPost(call.url, call.headers, [
        PAYLOAD.slice(0, 10),
        PAYLOAD.slice(10),
      ]);
      expect(answer).toEqual({ status: 200, body: { got: { event: 'upload.completed', id: 42 } } });
    });

    it('takes only the declared bytes as the body, however many follow', async () => {
      const url = await serve(limitedApp());
      const { port } = new URL(url);
      // More bytes than the limit follow a declared length within it. Node ends the body at the
      // declared length and parses the rest as the next request, so the verifier sees exactly the
      // declared bytes, which the signature (over everything sent) does not match.
      const next = `GET /next HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'x'.repeat(LIMIT)}\r\n\r\n`;
      const call = await sign(`${url}/hooks/aura`, PAYLOAD + next);
      const head = Object.entries(call.headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      const declared = Buffer.byteLength(PAYLOAD);
      const answer = await rawExchange(
        Number(port),
        `POST /hooks/aura HTTP/1.1\r\n${head}Content-Length: ${declared}\r\n\r\n${PAYLOAD}${next}`,
      );
      expect(answer).toMatchObject({ status: 401, body: { error: { code: 'invalid_signature' } } });
    });
  });
});
