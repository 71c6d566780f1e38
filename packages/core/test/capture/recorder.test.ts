import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CaptureEvent,
  type CaptureRecorder,
  captureNodeHttp,
  createCaptureRecorder,
  isAuraError,
  CAPTURE_REDACTED as REDACTED,
} from '../../src/index';

const quiet = { info: () => {}, warn: () => {} };
const servers: http.Server[] = [];
const recorders: CaptureRecorder<unknown>[] = [];

afterEach(async () => {
  await Promise.all(recorders.splice(0).map((r) => r.shutdown(100)));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function recorder(options: Parameters<typeof createCaptureRecorder>[0]) {
  const made = createCaptureRecorder({ logger: quiet, ...options });
  recorders.push(made as CaptureRecorder<unknown>);
  return made;
}

/** An app on node:http with the tee installed first: echoes JSON, streams, counts uploads. */
async function app(capture: CaptureRecorder): Promise<string> {
  return listen((req, res) => {
    captureNodeHttp(
      capture,
      req,
      res,
      { method: req.method, url: req.url, headers: req.headers },
      {
        route: () => (req.url?.startsWith('/items/') ? '/items/:id' : null),
      },
    );
    const path = req.url?.split('?')[0];
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (path === '/echo') chunks.push(chunk);
    });
    req.on('end', () => {
      if (path === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('one,');
        setTimeout(() => res.end('two'), 5);
        return;
      }
      const body = path === '/echo' ? Buffer.concat(chunks).toString() : JSON.stringify({ size });
      res.setHeader('set-cookie', 'sid=cookie-value-123');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('capture recorder on node:http', () => {
  it('records every field, redacts, and leaves the exchange unchanged', async () => {
    const events: CaptureEvent[] = [];
    const capture = recorder({
      sink: async (batch) => void events.push(...batch),
      bodies: true,
      flushIntervalMs: 10,
    });
    const base = await app(capture);
    const sent = JSON.stringify({
      patient: { name: 'Jane Citizen' },
      birthDate: '1970-01-01',
      note: 'token aubt_abcdefgh12345678',
      dicom: {
        '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Citizen^Jane' }] },
        '00080060': { vr: 'CS', Value: ['CT'] },
      },
      count: 3,
    });
    const answer = await fetch(`${base}/echo?mrn=12345&page=2`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer aubt_secret',
        'x-api-key': 'aura_au_key',
      },
      body: sent,
    });
    expect(await answer.text()).toBe(sent);
    await until(() => events.length === 1);
    const event = events[0]!;
    expect(event).toMatchObject({
      method: 'POST',
      path: '/echo',
      route: null,
      status: 200,
      request: {
        headers: {
          authorization: REDACTED,
          'x-api-key': REDACTED,
          'content-type': 'application/json',
        },
        query: { mrn: REDACTED, page: '2' },
        size: Buffer.byteLength(sent),
        body: {
          patient: REDACTED,
          birthDate: REDACTED,
          note: `token ${'[redacted]'}`,
          dicom: { '00100010': REDACTED, '00080060': { vr: 'CS', Value: ['CT'] } },
          count: 3,
        },
      },
      response: { headers: { 'set-cookie': REDACTED }, size: Buffer.byteLength(sent) },
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(event.time).toISOString()).toBe(event.time);
    expect(event.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(event)).not.toMatch(
      /Jane|Citizen|1970|12345|abcdefgh|aubt_secret|aura_au_key|cookie-value/,
    );
  });

  it('keeps a streamed response as it is and records its size and route', async () => {
    const events: CaptureEvent[] = [];
    const capture = recorder({
      sink: async (batch) => void events.push(...batch),
      flushIntervalMs: 10,
    });
    const base = await app(capture);
    const answer = await fetch(`${base}/stream`);
    expect(answer.headers.get('transfer-encoding')).toBe('chunked');
    expect(await answer.text()).toBe('one,two');
    await fetch(`${base}/items/7`);
    await until(() => events.length === 2);
    expect(events[0]!.response.size).toBe(7);
    expect(events[0]!.response.body).toBeUndefined();
    expect(events[1]!.route).toBe('/items/:id');
  });

  it('never copies an upload body (tus) and counts its size', async () => {
    const events: CaptureEvent[] = [];
    const capture = recorder({
      sink: async (batch) => void events.push(...batch),
      bodies: true,
      flushIntervalMs: 10,
    });
    const base = await app(capture);
    const bytes = new Uint8Array(100_000).fill(7);
    const answer = await fetch(`${base}/upload`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/offset+octet-stream' },
      body: bytes,
    });
    expect(await answer.json()).toEqual({ size: 100_000 });
    await until(() => events.length === 1);
    expect(events[0]!.request.size).toBe(100_000);
    expect(events[0]!.request.body).toBe('[omitted: binary or upload content]');
  });
});

describe('capture queue and delivery', () => {
  const meta = { method: 'GET', url: '/x', headers: {} };
  const record = (capture: CaptureRecorder, n: number) => {
    for (let i = 0; i < n; i++) capture.begin(meta)?.end({ status: 200, headers: {} });
  };

  it('a hanging sink: the queue stays within maxQueue and the rest is counted as dropped', async () => {
    const capture = recorder({
      sink: () => new Promise(() => {}),
      maxQueue: 5,
      batchSize: 2,
      flushIntervalMs: 1,
      timeoutMs: 50,
    });
    record(capture, 20);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const stats = capture.stats();
    expect(stats).toMatchObject({ captured: 20, queued: 5, sent: 0, dropped: 15 });
  });

  it('the memory budget bounds the queue in bytes', () => {
    const capture = recorder({
      sink: async () => {},
      maxQueueBytes: 2000,
      flushIntervalMs: 60_000,
    });
    record(capture, 50);
    const stats = capture.stats();
    expect(stats.queued).toBeGreaterThan(0);
    expect(stats.queued).toBeLessThan(50);
    expect(stats.dropped).toBe(50 - stats.queued);
  });

  it('cuts batches by count and by bytes', async () => {
    const sizes: number[] = [];
    const capture = recorder({
      sink: async (batch) => void sizes.push(batch.length),
      batchSize: 3,
      flushIntervalMs: 60_000,
    });
    record(capture, 7);
    await capture.flush();
    expect(sizes).toEqual([3, 3, 1]);
    const bytes: number[] = [];
    const small = recorder({
      sink: async (batch) => void bytes.push(JSON.stringify(batch).length),
      maxBatchBytes: 1200,
      flushIntervalMs: 60_000,
    });
    record(small, 10);
    await small.flush();
    expect(bytes.length).toBeGreaterThan(1);
    for (const size of bytes) expect(size).toBeLessThanOrEqual(1200 + 2);
    expect(small.stats()).toMatchObject({ sent: 10, queued: 0 });
  });

  it('retries with backoff after a failure and delivers everything once the sink is back', async () => {
    let failures = 3;
    const received: CaptureEvent[] = [];
    const capture = recorder({
      sink: async (batch) => {
        if (failures-- > 0) throw new Error('down');
        received.push(...batch);
      },
      flushIntervalMs: 5,
      retryBaseMs: 5,
    });
    record(capture, 12);
    await until(() => received.length === 12);
    expect(capture.stats()).toMatchObject({
      captured: 12,
      sent: 12,
      queued: 0,
      dropped: 0,
      failedBatches: 3,
    });
  });

  it('the collector: gzip batches with the key, Retry-After honoured, a pause on 401', async () => {
    const calls: { path: string; at: number; events?: number }[] = [];
    let answer = 503;
    const base = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const auth = req.headers.authorization === 'Bearer aura_ck_test';
        if (req.url === '/capture/v1/auth') {
          res.writeHead(auth ? 200 : 401, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ project: { id: 'p1', name: 'Audit' } }));
        }
        const body = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString()) as {
          events: unknown[];
        };
        calls.push({ path: req.url!, at: Date.now(), events: body.events.length });
        expect(req.headers['content-encoding']).toBe('gzip');
        if (answer === 503) {
          answer = 202;
          res.writeHead(503, { 'retry-after': '1' });
          return res.end();
        }
        res.writeHead(answer);
        res.end('{}');
      });
    });
    const infos: string[] = [];
    const capture = recorder({
      url: `${base}/capture`,
      key: 'aura_ck_test',
      flushIntervalMs: 5,
      retryBaseMs: 5,
      logger: { info: (m) => infos.push(m), warn: () => {} },
    });
    expect(await capture.ready()).toEqual({ id: 'p1', name: 'Audit' });
    expect(infos.join('\n')).toContain('reporting to project "Audit" (p1)');
    record(capture, 4);
    await until(() => capture.stats().sent === 4, 5000);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(990);
    expect(capture.stats().failedBatches).toBe(1);

    answer = 401;
    const paused = recorder({
      url: `${base}/capture`,
      key: 'aura_ck_test',
      flushIntervalMs: 5,
      retryBaseMs: 5,
      pauseMs: 60_000,
    });
    await paused.ready();
    const before = calls.length;
    record(paused, 2);
    await until(() => paused.stats().failedBatches === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls.length).toBe(before + 1);
    expect(paused.stats()).toMatchObject({ queued: 2, sent: 0 });
  });

  it('a 413 from the collector splits the batch; nothing is lost', async () => {
    const sizes: number[] = [];
    const base = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/capture/v1/auth') {
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ project: { id: 'p', name: 'P' } }));
        }
        const { events } = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString()) as {
          events: unknown[];
        };
        if (events.length > 3) {
          res.writeHead(413);
          return res.end();
        }
        sizes.push(events.length);
        res.writeHead(202);
        res.end('{}');
      });
    });
    const capture = recorder({
      url: `${base}/capture`,
      key: 'k',
      batchSize: 10,
      flushIntervalMs: 5,
      retryBaseMs: 5,
    });
    record(capture, 10);
    await until(() => capture.stats().sent === 10);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(capture.stats()).toMatchObject({ dropped: 0, queued: 0 });
  });

  it('shutdown() delivers what was queued, then captures no more', async () => {
    const received: CaptureEvent[] = [];
    const capture = recorder({
      sink: async (batch) => void received.push(...batch),
      flushIntervalMs: 60_000,
    });
    record(capture, 9);
    await capture.shutdown(1000);
    expect(received).toHaveLength(9);
    expect(capture.begin(meta)).toBeUndefined();
    expect(capture.stats()).toMatchObject({ captured: 9, sent: 9, queued: 0 });
  });

  it('samples and skips', () => {
    const none = recorder({ sink: async () => {}, sample: 0 });
    expect(none.begin(meta)).toBeUndefined();
    const skipping = recorder({
      sink: async () => {},
      skip: (req) => (req as { url: string }).url === '/x',
    });
    expect(skipping.begin(meta)).toBeUndefined();
    expect(skipping.begin({ ...meta, url: '/y' })).toBeDefined();
  });

  it('fails at start-up on a URL without a key, naming the variable', () => {
    const attempt = () =>
      createCaptureRecorder({
        env: { AURA_CAPTURE_URL: 'http://127.0.0.1:1/capture' },
        logger: quiet,
      });
    expect(attempt).toThrow(/AURA_CAPTURE_KEY/);
    try {
      attempt();
    } catch (error) {
      expect(isAuraError(error, 'configuration')).toBe(true);
    }
    expect(() => createCaptureRecorder({ env: {}, logger: quiet })).toThrow(/AURA_CAPTURE_URL/);
    expect(() => createCaptureRecorder({ sink: async () => {}, maxQueue: 0 })).toThrow(/maxQueue/);
    expect(() => createCaptureRecorder({ sink: async () => {}, sample: 2 })).toThrow(/sample/);
  });
});
