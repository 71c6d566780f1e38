/**
 * Redaction happens off the request path, when the recorder drains its finished recordings:
 * these tests hold that nothing unredacted ever leaves the process or reaches a log line on any
 * of the ways a recording can go (drained and sent, dropped by the queue's bounds, delivered on
 * `flush()` or `shutdown()` before the drain ran, or failing to be written), and that the
 * recordings waiting for the drain count against the queue's bounds with what they hold.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CaptureEvent,
  type CaptureRecorder,
  createCaptureRecorder,
  CAPTURE_REDACTED as REDACTED,
} from '../../src/index';

const SECRETS = {
  bearer: 'aubt_0123456789abcdefghijklmnopqrstuv',
  appSecret: 'aura_sk_live_deferred_0123456789',
  patient: 'Jane Q. Deferred-Patient',
  mrn: 'MRN-77-DEFERRED',
  user: 'aulift_userlift_0123456789abcdef',
};
const secretValues = Object.values(SECRETS);

const recorders: CaptureRecorder<unknown>[] = [];
afterEach(async () => {
  await Promise.all(recorders.splice(0).map((r) => r.shutdown(100)));
});

/** A recorder whose log lines are kept, to be searched for secrets. */
function recorder(options: Parameters<typeof createCaptureRecorder>[0]) {
  const logged: string[] = [];
  const made = createCaptureRecorder({
    logger: { info: (m) => void logged.push(m), warn: (m) => void logged.push(m) },
    ...options,
  });
  recorders.push(made as CaptureRecorder<unknown>);
  return { capture: made, logged };
}

/** One exchange full of secrets, in every place an event takes them from. */
function recordSecretExchange(capture: CaptureRecorder, n = 1): void {
  for (let i = 0; i < n; i++) {
    const handle = capture.begin({
      method: 'POST',
      url: `/patients/${SECRETS.mrn}?token=${SECRETS.appSecret}&name=${encodeURIComponent(SECRETS.patient)}`,
      headers: {
        authorization: `Bearer ${SECRETS.bearer}`,
        'x-note': `see ${SECRETS.appSecret}`,
        'x-patient-name': SECRETS.patient,
        'content-type': 'application/json',
      },
    });
    handle?.requestChunk(12);
    handle?.end({
      status: 200,
      headers: { 'set-cookie': [`sid=${SECRETS.bearer}`], 'x-echo': `Bearer ${SECRETS.bearer}` },
      route: '/patients/:patientId',
      caller: { appId: 'aura_pk_partner' },
      user: { id: SECRETS.user },
    });
  }
}

function expectNoSecret(text: string): void {
  for (const secret of secretValues) expect(text).not.toContain(secret);
  expect(text).not.toContain(encodeURIComponent(SECRETS.patient));
}

describe('capture: redaction off the request path', () => {
  it('a finished recording is written after the request, redacted, before anything is sent', async () => {
    const received: CaptureEvent[] = [];
    const { capture, logged } = recorder({
      sink: async (batch) => void received.push(...batch),
      flushIntervalMs: 60_000,
    });
    recordSecretExchange(capture);
    // Counted and held at once; nothing was written or sent on the request path.
    expect(capture.stats()).toMatchObject({ captured: 1, queued: 1, sent: 0, dropped: 0 });
    expect(received).toHaveLength(0);
    await capture.flush();
    expect(received).toHaveLength(1);
    const event = received[0]!;
    expectNoSecret(JSON.stringify(event));
    expect(event.request.headers.authorization).toBe(REDACTED);
    expect(event.request.headers['x-patient-name']).toBe(REDACTED);
    expect(event.path).toBe(`/patients/${REDACTED}`);
    expect(event.request.query).toMatchObject({ token: REDACTED, name: REDACTED });
    expect(event.response.headers['set-cookie']).toEqual([REDACTED]);
    expectNoSecret(logged.join('\n'));
  });

  it('the drain runs on the next turn of the loop, without a flush', async () => {
    const lines: string[] = [];
    const { capture } = recorder({
      sink: {
        write(chunk: string, callback?: (error?: Error | null) => void) {
          lines.push(chunk);
          callback?.();
          return true;
        },
      },
      flushIntervalMs: 1,
    });
    recordSecretExchange(capture, 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(capture.stats()).toMatchObject({ captured: 3, sent: 3, queued: 0 });
    expectNoSecret(lines.join(''));
  });

  it('recordings dropped by the bounds are never written, sent or logged', async () => {
    const received: CaptureEvent[] = [];
    let release: () => void = () => {};
    const { capture, logged } = recorder({
      // The first batch hangs until released, so the queue stays full.
      sink: (batch) =>
        new Promise<void>((resolve) => {
          received.push(...batch);
          release = resolve;
        }),
      maxQueue: 2,
      batchSize: 2,
      flushIntervalMs: 1,
      timeoutMs: 60_000,
    });
    recordSecretExchange(capture, 10);
    expect(capture.stats()).toMatchObject({ captured: 10, queued: 2, dropped: 8 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    release();
    await capture.flush();
    expect(capture.stats()).toMatchObject({ captured: 10, sent: 2, dropped: 8, queued: 0 });
    expect(received).toHaveLength(2);
    expectNoSecret(JSON.stringify(received));
    expectNoSecret(logged.join('\n'));
  });

  it('shutdown() right after the requests writes and delivers them redacted', async () => {
    const received: CaptureEvent[] = [];
    const { capture, logged } = recorder({
      sink: async (batch) => void received.push(...batch),
      flushIntervalMs: 60_000,
    });
    recordSecretExchange(capture, 4);
    // Before the drain had its turn: shutdown drains first.
    await capture.shutdown(1000);
    expect(received).toHaveLength(4);
    expect(capture.stats()).toMatchObject({ captured: 4, sent: 4, queued: 0, dropped: 0 });
    expectNoSecret(JSON.stringify(received));
    expectNoSecret(logged.join('\n'));
  });

  it('a shutdown past its deadline drops what is left without writing it to the log', async () => {
    const { capture, logged } = recorder({
      sink: () => new Promise<void>(() => {}),
      flushIntervalMs: 60_000,
      timeoutMs: 20,
    });
    recordSecretExchange(capture, 3);
    await capture.shutdown(50);
    expect(capture.stats()).toMatchObject({ captured: 3, sent: 0, queued: 0, dropped: 3 });
    expectNoSecret(logged.join('\n'));
  });

  it('a recording that cannot be written is dropped; the log names the error, never its message', async () => {
    const received: CaptureEvent[] = [];
    const { capture, logged } = recorder({
      sink: async (batch) => void received.push(...batch),
      flushIntervalMs: 60_000,
    });
    const handle = capture.begin({
      method: 'GET',
      url: '/x',
      headers: {
        // A value that throws, quoting a secret, when it is written as text.
        'x-odd': {
          toString() {
            throw new TypeError(`cannot write ${SECRETS.bearer} for ${SECRETS.patient}`);
          },
        } as unknown as string,
      },
    });
    handle?.end({ status: 200, headers: {} });
    recordSecretExchange(capture);
    await capture.flush();
    expect(capture.stats()).toMatchObject({ captured: 2, sent: 1, dropped: 1, queued: 0 });
    expect(received).toHaveLength(1);
    expect(logged.join('\n')).toMatch(/could not be recorded \(TypeError\)/);
    expectNoSecret(logged.join('\n'));
    expectNoSecret(JSON.stringify(received));
  });

  it('recordings waiting for the drain count against maxQueueBytes with the body bytes they hold', async () => {
    const body = new TextEncoder().encode(JSON.stringify({ note: 'x'.repeat(8000) }));
    const { capture } = recorder({
      sink: async () => {},
      bodies: true,
      maxBodyBytes: 16 * 1024,
      maxQueueBytes: 20_000,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 10; i++) {
      const handle = capture.begin({
        method: 'POST',
        url: '/notes',
        headers: { 'content-type': 'application/json' },
      });
      handle?.requestChunk(body);
      handle?.end({ status: 204, headers: {} });
    }
    // Two recordings of 8 KiB fit in 20 000 bytes; a third does not.
    expect(capture.stats()).toMatchObject({ captured: 10, queued: 2, dropped: 8 });
    await capture.flush();
    expect(capture.stats()).toMatchObject({ captured: 10, sent: 2, dropped: 8, queued: 0 });
  });
});
