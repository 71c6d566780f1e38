/**
 * The fast paths of a request's capture give exactly what the plain ones give: headers written
 * as JSON in the redaction pass equal `JSON.stringify` of the redacted object, an event's line is
 * the canonical JSON of the event it carries, and the cached time is `toISOString()`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime, jsonHundredths } from '../../src/capture/recording';
import {
  type CaptureEvent,
  createCaptureRecorder,
  createCaptureRedactor,
  CAPTURE_REDACTED as R,
} from '../../src/index';

const quiet = { info: () => {}, warn: () => {} };

/** Header names of every kind: plain, sensitive, uppercase twins, index-like, odd. */
const headerName = fc.oneof(
  fc.constantFrom(
    'accept',
    'Accept',
    'content-type',
    'authorization',
    'x-api-key',
    'x-patient-name',
    'set-cookie',
    'x-request-id',
    '0',
    '17',
    'x-aubt_abcdefgh',
    'user-agent',
  ),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
);

/** Values with everything that needs care: quotes, backslashes, controls, surrogates, secrets. */
const headerText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    'application/json',
    'Bearer aubt_0123456789abcdef',
    '"quoted" \\ back',
    'tab\there',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig',
    'a'.repeat(10) + '0123456789abcdef'.repeat(4),
    '\ud800 lone',
    'https://user:pw@host/x?key=v',
  ),
);
const headerValue = fc.oneof(
  headerText,
  fc.array(headerText, { maxLength: 3 }),
  fc.integer(),
  fc.constant(undefined),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 12 });

describe('capture hot path', () => {
  it('headersJson(h) is JSON.stringify(headers(h)), with and without user patterns', () => {
    const plain = createCaptureRedactor();
    const patterned = createCaptureRedactor({ patterns: [/secret-\d+/, 'lit'] });
    fc.assert(
      fc.property(headers, (h) => {
        for (const redactor of [plain, patterned]) {
          expect(redactor.headersJson(h)).toBe(JSON.stringify(redactor.headers(h)));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('headersJson stays JSON.stringify(headers(h)) as values repeat, change and stop repeating', () => {
    const redactor = createCaptureRedactor();
    const secret = 'Bearer aubt_0123456789abcdef';
    for (let i = 0; i < 400; i++) {
      const h = {
        host: 'api.example',
        // Unique per request: the header stops remembering its values after its trial.
        'x-nonce': `n-${i}`,
        // Clean most of the time, a credential now and then, in the same header.
        'x-note': i % 7 === 0 ? `${secret}-${i}` : `note ${i % 3}`,
        'user-agent': i % 2 === 0 ? 'agent/1' : 'agent "two"',
      };
      const json = redactor.headersJson(h);
      expect(json).toBe(JSON.stringify(redactor.headers(h)));
      expect(json).not.toContain('aubt_0123456789abcdef');
    }
  });

  it('a credential in a header value is masked whatever surrounds it', () => {
    const redactor = createCaptureRedactor();
    const json = redactor.headersJson({
      'x-note': '"Bearer aubt_0123456789abcdef"\n',
      'x-other': 'tok aura_sk_live_abcdef',
      authorization: 'anything',
    });
    expect(json).not.toMatch(/0123456789abcdef|aura_sk_live|anything/);
    expect(JSON.parse(json)).toMatchObject({ authorization: R });
  });

  it('isoTime is toISOString() for any time, cached second or not', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -8.64e15, max: 8.64e15 }),
        fc.integer({ min: 0, max: 2500 }),
        (ms, step) => {
          expect(isoTime(ms)).toBe(new Date(ms).toISOString());
          // The next call may reuse the second just cached.
          const next = Math.min(ms + step, 8.64e15);
          expect(isoTime(next)).toBe(new Date(next).toISOString());
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a duration is written as JSON.stringify writes it, from its integer hundredths', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 2 ** 40 - 1 }).map((hundredths) => hundredths / 100),
          fc.double({ noNaN: false }).map((ms) => Math.round(ms * 100) / 100),
          fc.double(),
        ),
        (ms) => {
          expect(jsonHundredths(ms)).toBe(JSON.stringify(ms));
        },
      ),
      { numRuns: 2000 },
    );
    for (const ms of [0, -0, 0.01, 0.1, 1.05, 12.5, 99.99, 2 ** 40 / 100, -1.5, Number.NaN]) {
      expect(jsonHundredths(ms)).toBe(JSON.stringify(ms));
    }
  });

  it("an event's NDJSON line is the canonical JSON of the event it carries", async () => {
    const lines: string[] = [];
    const capture = createCaptureRecorder({
      sink: {
        write(chunk: string, callback?: (error?: Error | null) => void) {
          lines.push(...chunk.split('\n').filter((line) => line !== ''));
          callback?.();
          return true;
        },
      },
      flushIntervalMs: 60_000,
      logger: quiet,
    });
    const runs = fc.sample(
      fc.record({
        method: fc.constantFrom('get', 'POST', undefined),
        url: fc.oneof(
          fc.constantFrom('/items/7?mrn=1&page=2', '/x?a=%22&b=+c', '/"q"\\/p', undefined),
          fc.string({ maxLength: 20 }).map((s) => `/${s}`),
        ),
        request: headers,
        response: headers,
        status: fc.oneof(fc.integer({ min: 100, max: 599 }), fc.constant(Number.NaN)),
        route: fc.constantFrom('/items/:id', '/patients/:patientId', null, ''),
        caller: fc.option(fc.record({ appId: headerText })),
        user: fc.option(fc.oneof(headerText, fc.record({ id: headerText }))),
      }),
      200,
    );
    for (const run of runs) {
      const handle = capture.begin({
        method: run.method,
        url: run.url,
        headers: run.request as Record<string, string | string[] | undefined>,
      });
      handle?.requestChunk(3);
      handle?.end({
        status: run.status,
        headers: run.response,
        route: run.route,
        caller: run.caller ?? undefined,
        user: run.user ?? undefined,
      });
    }
    await capture.shutdown(1000);
    expect(lines).toHaveLength(runs.length);
    for (const line of lines) {
      const event = JSON.parse(line) as CaptureEvent;
      expect(JSON.stringify(event)).toBe(line);
      expect(Object.keys(event).slice(0, 9)).toEqual([
        'id',
        'time',
        'method',
        'path',
        'route',
        'status',
        'durationMs',
        'request',
        'response',
      ]);
      expect(new Date(event.time).toISOString()).toBe(event.time);
    }
  });
});
