import { fileURLToPath } from 'node:url';
import { CAPTURE_REDACTED, type CaptureEvent, MemoryNonceStore } from '@aura/core';
import { runCaptureConformance, STREAM_CHUNKS } from '@aura/test-kit';
import { describe, expect, it } from 'vitest';
import { captureApp, captureMount } from './capture.mount';

runCaptureConformance({
  name: 'hono on @hono/node-server',
  mount: captureMount,
  memory: { module: fileURLToPath(new URL('./capture.mount.ts', import.meta.url)) },
});

// Without Node's objects (Workers, Deno, Bun): the response is observed as the runtime reads it.
describe('auraCapture on the web path (no c.env.incoming)', () => {
  const events: CaptureEvent[] = [];
  const { app, capture } = captureApp({
    capture: {
      sink: async (batch) => void events.push(...batch),
      bodies: true,
      flushIntervalMs: 60_000,
      logger: { info() {}, warn() {} },
    },
    verify: {
      secrets: { partner: 'partner-secret-0123456789' },
      nonceStore: new MemoryNonceStore(),
    },
  });

  it('records the route, status, sizes and redacted headers; the body reaches the client unchanged', async () => {
    const streamed = await app.request('/stream');
    expect(await streamed.text()).toBe(STREAM_CHUNKS.join(''));
    const thing = await app.request('/v1/things/9?mrn=555', {
      headers: { authorization: 'Bearer aubt_webpathtoken' },
    });
    expect(await thing.json()).toEqual({ thingId: '9' });
    const echoed = await app.request('/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '26' },
      body: '{"patientName":"Qxweb Pt"}',
    });
    expect(await echoed.json()).toEqual({ patientName: 'Qxweb Pt' });
    await capture.flush();
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({
      route: '/stream',
      status: 200,
      response: { size: STREAM_CHUNKS.join('').length },
    });
    expect(events[1]).toMatchObject({
      method: 'GET',
      path: '/v1/things/9',
      route: '/v1/things/:thingId',
      request: { headers: { authorization: CAPTURE_REDACTED }, query: { mrn: CAPTURE_REDACTED } },
    });
    // The request body is not read on this path (its size is the declared length); the response's is.
    expect(events[2]).toMatchObject({
      request: { size: 26 },
      response: { body: { patientName: CAPTURE_REDACTED } },
    });
    expect(JSON.stringify(events)).not.toMatch(/webpathtoken|555|Qxweb/);
  });
});
