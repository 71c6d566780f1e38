// Regression tests for the sandbox items of the adversarial review (issue 8, items 9–15; item 16
// runs through the built bin in bin.test.ts). Each `it` names its item; each failed on the code
// as it landed and runs against a real sandbox on 127.0.0.1.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index';
import {
  api,
  getToken,
  initBody,
  randomBytesOf,
  tusCreate,
  tusHead,
  tusPatch,
  tusUpload,
} from './helpers';

const OTHER = { appId: 'aura_pk_other', appSecret: 'aura_sk_other', apiKey: 'aura_au_other' };
const ORIGIN = 'http://localhost:5173';
const LIMITS = { exchange: 1000, lifecycle: 1000, config: 1000 };

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** node:http, so that `Host` and `Origin` go out exactly as given (fetch forbids setting Host). */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { d: value };
  return value;
}

describe('issue 8 hardening, against a real sandbox', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({
      apps: [
        { appId: 'aura_pk_sandbox', appSecret: 'aura_sk_sandbox', apiKey: 'aura_au_sandbox' },
        OTHER,
      ],
      cors: [ORIGIN],
      rateLimits: LIMITS,
    });
  });
  afterEach(() => sb.reset());
  afterAll(() => sb.close());

  describe('item 9: one tus file id for authorisation and for tus', () => {
    it('item 9: GET, HEAD, PATCH and DELETE on /files/<B id>?x=/<A id> never touch app A’s file', async () => {
      const tokenA = await getToken(sb);
      const tokenB = await getToken(sb, {}, { app: OTHER });
      const bytesA = randomBytesOf(100, 3);
      const bytesB = randomBytesOf(10, 4);
      const finishedA = await tusUpload(sb.tusUrl, tokenA, bytesA, {});
      const openA = (await tusCreate(sb.tusUrl, tokenA, 100, {})).headers.get('location')!;
      const finishedB = await tusUpload(sb.tusUrl, tokenB, bytesB, {});
      const openB = (await tusCreate(sb.tusUrl, tokenB, 10, {})).headers.get('location')!;
      const idOf = (location: string) => location.slice(sb.tusUrl.length);
      const cross = (b: string, a: string) => `${b}?x=/${idOf(a)}`;

      const got = await raw(cross(finishedB, finishedA), {
        headers: { Authorization: `Bearer ${tokenB}`, 'Tus-Resumable': '1.0.0' },
      });
      expect(got.status).toBe(200);
      expect(got.body).toEqual(Buffer.from(bytesB));

      const head = await tusHead(cross(finishedB, finishedA), tokenB);
      expect(head.status).toBe(200);
      expect(head.headers.get('upload-offset')).toBe('10');
      expect(head.headers.get('upload-length')).toBe('10');

      const patched = await tusPatch(cross(openB, openA), tokenB, 0, randomBytesOf(10, 5));
      expect(patched.status).toBe(204);
      expect((await tusHead(openA, tokenA)).headers.get('upload-offset')).toBe('0');
      expect((await tusHead(openB, tokenB)).headers.get('upload-offset')).toBe('10');

      const deleted = await fetch(cross(finishedB, finishedA), {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${tokenB}`, 'Tus-Resumable': '1.0.0' },
      });
      expect(deleted.status).toBe(204);
      expect((await tusHead(finishedA, tokenA)).status).toBe(200);
      expect(await readFile(path.join(sb.dataDir, idOf(finishedA)))).toEqual(Buffer.from(bytesA));
      expect((await tusHead(finishedB, tokenB)).status).not.toBe(200);
    });
  });

  describe('item 10: /_sandbox controls are not a browser’s to drive', () => {
    it('item 10: refuses a cross-site text/plain POST to /_sandbox/reset (no preflight) and keeps the state', async () => {
      const token = await getToken(sb);
      const uploadId = randomUUID();
      await api(sb, 'POST', '/uploader/upload/init', token, initBody(uploadId));

      const crossSite = await raw(`${sb.url}/_sandbox/reset`, {
        method: 'POST',
        headers: { Origin: 'http://attacker.example', 'Content-Type': 'text/plain' },
        body: '{}',
      });
      expect(crossSite.status).toBe(403);
      const plain = await raw(`${sb.url}/_sandbox/reset`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: '{}',
      });
      expect(plain.status).toBe(415);
      const form = await raw(`${sb.url}/_sandbox/reset`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'a=1',
      });
      expect(form.status).toBe(415);
      expect(sb.upload(uploadId)).toBeDefined();

      const allowed = await raw(`${sb.url}/_sandbox/reset`, {
        method: 'POST',
        headers: { Origin: ORIGIN, 'Content-Type': 'application/json' },
      });
      expect(allowed.status).toBe(200);
      expect(sb.upload(uploadId)).toBeUndefined();
    });

    it('item 10: refuses a cross-site text/plain POST to /_sandbox/faults, which plants nothing', async () => {
      const rule = JSON.stringify({ path: '/uploader/config', status: 500 });
      for (const headers of [
        { Origin: 'http://attacker.example', 'Content-Type': 'text/plain' },
        { Origin: 'http://attacker.example' },
        { 'Content-Type': 'text/plain' },
        { Origin: 'http://attacker.example', 'Content-Type': 'application/json' },
        { Origin: 'null', 'Content-Type': 'application/json' },
      ] as Record<string, string>[]) {
        const res = await raw(`${sb.url}/_sandbox/faults`, { method: 'POST', headers, body: rule });
        expect([403, 415]).toContain(res.status);
      }
      const wipe = await raw(`${sb.url}/_sandbox/faults`, {
        method: 'DELETE',
        headers: { Origin: 'http://attacker.example' },
      });
      expect(wipe.status).toBe(403);
      expect(
        ((await (await fetch(`${sb.url}/_sandbox/faults`)).json()) as { faults: [] }).faults,
      ).toEqual([]);
    });

    it('item 10: answers no control to a DNS-rebinding Host, and every loopback name', async () => {
      const token = await getToken(sb);
      await api(sb, 'POST', '/uploader/upload/init', token, initBody());
      for (const control of ['requests', 'uploads', 'captured', 'health', 'faults']) {
        const res = await raw(`${sb.url}/_sandbox/${control}`, {
          headers: { Host: `attacker.example:${sb.port}` },
        });
        expect(res.status, control).toBe(403);
        expect(res.body.toString()).not.toContain('aura_pk_sandbox');
      }
      const evilReset = await raw(`${sb.url}/_sandbox/reset`, {
        method: 'POST',
        headers: { Host: 'attacker.example', 'Content-Type': 'application/json' },
      });
      expect(evilReset.status).toBe(403);
      expect(sb.uploads()).toHaveLength(1);
      for (const host of [
        `127.0.0.1:${sb.port}`,
        `localhost:${sb.port}`,
        'LOCALHOST',
        `[::1]:${sb.port}`,
        `app.localhost:${sb.port}`,
      ]) {
        const res = await raw(`${sb.url}/_sandbox/uploads`, { headers: { Host: host } });
        expect(res.status, host).toBe(200);
      }
    });
  });

  it('item 10: answers a Host given in allowedHosts (a container name) and the listen address', async () => {
    const named = await startSandbox({ allowedHosts: ['sandbox', '::2'] });
    try {
      for (const [host, status] of [
        [`sandbox:${named.port}`, 200],
        ['SANDBOX.', 200],
        [`[::2]:${named.port}`, 200],
        [`sandbox.attacker.example:${named.port}`, 403],
      ] as const) {
        const res = await raw(`${named.url}/_sandbox/health`, { headers: { Host: host } });
        expect(res.status, host).toBe(status);
      }
    } finally {
      await named.close();
    }
    await expect(startSandbox({ allowedHosts: ['a b'] })).rejects.toThrow(TypeError);
    await expect(startSandbox({ allowedHosts: 'sandbox' as unknown as string[] })).rejects.toThrow(
      TypeError,
    );
  });

  describe('item 11: the capture collector holds a bounded amount', () => {
    const send = (body: Buffer | string, gzip: boolean) =>
      fetch(`${sb.url}/capture/v1/batches`, {
        method: 'POST',
        headers: {
          Authorization: 'Bearer aura_ck_sandbox',
          'Content-Type': 'application/json',
          ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
        },
        body,
      });

    it('item 11: refuses a gzip bomb with 413, drops the oldest batches past the total, and the heap stays bounded', async () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      gc();
      const before = process.memoryUsage().heapUsed;

      // 16 KiB of gzip that inflates to ~16 MiB of valid JSON: the review's bomb, four times.
      const bomb = gzipSync(`[${'{"a":1},'.repeat(2_000_000)}{"a":1}]`, { level: 9 });
      expect(bomb.length).toBeLessThan(64 * 1024);
      for (let i = 0; i < 4; i++) {
        const res = await send(bomb, true);
        expect(res.status).toBe(413);
      }
      // A gzip bomb of 100 MiB of one string, built from concatenated gzip members (gunzip
      // reads them as one stream) so that the test does not spend seconds compressing 100 MiB.
      const mebibyteOfX = gzipSync('x'.repeat(1024 * 1024), { level: 9 });
      const big = Buffer.concat([
        gzipSync('[{"a":"'),
        ...Array.from({ length: 100 }, () => mebibyteOfX),
        gzipSync('"}]'),
      ]);
      expect(big.length).toBeLessThan(256 * 1024);
      expect((await send(big, true)).status).toBe(413);

      // Batches just under the per-batch cap, far more than the total held.
      const batch = gzipSync(JSON.stringify([{ pad: 'y'.repeat(900 * 1024) }]));
      for (let i = 0; i < 40; i++) expect((await send(batch, true)).status).toBe(202);
      // Measured before this test reads the captures back (that copy is the test's, not the
      // sandbox's): 36 MiB sent, about 16 MiB held.
      gc();
      const grown = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
      expect(grown).toBeLessThan(32);

      const listed = (await (await fetch(`${sb.url}/_sandbox/captured`)).json()) as {
        batches: unknown[];
        dropped: { batches: number; events: number };
        held: { bytes: number; events: number };
        limits: { batchBytes: number; totalBytes: number };
      };
      expect(listed.dropped.batches).toBeGreaterThan(0);
      expect(listed.batches.length + listed.dropped.batches).toBe(40);
      expect(listed.dropped.events).toBe(listed.dropped.batches);
      expect(listed.held.bytes).toBeLessThanOrEqual(listed.limits.totalBytes);
      expect(sb.capturedBatches()).toHaveLength(listed.batches.length);
    }, 60_000); // a deadline for 50 MiB of traffic on a loaded machine, not a speed goal
  });

  describe('item 12: a submitted upload’s files are final', () => {
    it('item 12: PATCH and DELETE on a file of a submitted upload answer 409 and the file stays listed', async () => {
      const token = await getToken(sb);
      const uploadId = randomUUID();
      await api(sb, 'POST', '/uploader/upload/init', token, initBody(uploadId));
      await api(sb, 'POST', '/uploader/upload/start', token, {
        upload_id: uploadId,
        assembly_id: 'a',
      });
      const created = await tusCreate(sb.tusUrl, token, 10, { upload_id: uploadId });
      const location = created.headers.get('location')!;
      expect((await tusPatch(location, token, 0, randomBytesOf(5))).status).toBe(204);
      for (const move of ['complete', 'submit']) {
        const res = await api(
          sb,
          'POST',
          `/uploader/${move === 'submit' ? 'manage' : 'upload'}/${move}`,
          token,
          {
            upload_id: uploadId,
            assembly_id: 'a',
          },
        );
        expect(res.status, move).toBe(200);
      }

      const patch = await tusPatch(location, token, 5, randomBytesOf(5));
      expect(patch.status).toBe(409);
      expect(await patch.json()).toMatchObject({ error: { code: 'invalid_state' } });
      const del = await fetch(location, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0' },
      });
      expect(del.status).toBe(409);
      expect(sb.upload(uploadId)?.files).toHaveLength(1);
      expect(sb.upload(uploadId)?.files[0]).toMatchObject({ offset: 5, finished: false });
      expect((await tusHead(location, token)).headers.get('upload-offset')).toBe('5');
    });
  });

  describe('item 13: the request log redacts secrets wherever they stand', () => {
    it('item 13: redacts a token after %3D or _, api_key=aura_au_…, key=aura_ck_…, and the lift token in Upload-Metadata', async () => {
      const token = await getToken(sb);
      const config = await api(sb, 'GET', '/uploader/config', token);
      const lift = (config.body.lift as { token: string }).token;
      await api(sb, 'GET', `/uploader/config?q=a%3D${token}`, 'aubt_unknown');
      await api(sb, 'GET', `/uploader/config?q=x_${token}`, 'aubt_unknown');
      await api(sb, 'GET', '/uploader/config?api_key=aura_au_sandbox', 'aubt_unknown');
      await api(sb, 'GET', `/uploader/config?api_key=${OTHER.apiKey}`, 'aubt_unknown');
      await fetch(`${sb.url}/capture/v1/auth?key=aura_ck_sandbox`, { method: 'POST' });
      await api(
        sb,
        'GET',
        `/uploader/config?q=${encodeURIComponent(`"${token}"`)}`,
        'aubt_unknown',
      );
      await tusCreate(sb.tusUrl, lift, 10, { filename: 'a.dcm', note: `lift=${lift}` });

      const log = JSON.stringify(sb.requests());
      for (const secret of [token, lift, 'aura_au_sandbox', OTHER.apiKey, 'aura_ck_sandbox']) {
        expect(log).not.toContain(secret);
        expect(log).not.toContain(Buffer.from(secret).toString('base64').slice(0, 24));
      }
      const metadata = sb.requests().at(-1)!.headers['upload-metadata']!;
      const decoded = metadata.split(',').map((pair) => {
        const [key, value] = pair.split(' ');
        return `${key}=${Buffer.from(value ?? '', 'base64').toString('utf8')}`;
      });
      expect(decoded[0]).toBe('filename=a.dcm');
      expect(decoded[1]).toMatch(/^note=lift=aulift_.*\[redacted\]$/);
      expect(decoded.join()).not.toContain(lift);
    });
  });

  describe('item 14: deep JSON is refused, and the controls keep answering', () => {
    it('item 14: a context nested 20,000 deep answers 422, deeper than 64 too, 64 is fine', async () => {
      const token = await getToken(sb);
      // JSON.stringify cannot write 20,000 levels either: the body is written by hand.
      const body = JSON.stringify({ ...initBody(), context: 'HERE' }).replace(
        '"HERE"',
        `${'{"d":'.repeat(20_000)}1${'}'.repeat(20_000)}`,
      );
      const deep = await fetch(`${sb.apiUrl}/uploader/upload/init`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'X-Api-Key': sb.credentials.apiKey,
          'Content-Type': 'application/json',
        },
        body,
      });
      expect(deep.status).toBe(422);
      // The body is level 1: a context of 64 nested objects makes 65 levels, of 63 makes 64.
      const over = await api(sb, 'POST', '/uploader/upload/init', token, {
        ...initBody(),
        context: nested(64),
      });
      expect(over.status).toBe(422);
      expect(over.body.message).toMatch(/64/);
      const fine = await api(sb, 'POST', '/uploader/upload/init', token, {
        ...initBody(),
        context: nested(63),
      });
      expect(fine.status).toBe(200);
      const uploads = await fetch(`${sb.url}/_sandbox/uploads`);
      expect(uploads.status).toBe(200);
      expect(((await uploads.json()) as { uploads: unknown[] }).uploads).toHaveLength(1);
    });

    it('item 14: a capture event nested 20,000 deep answers 422 and /_sandbox/captured still answers', async () => {
      const deep = await fetch(`${sb.url}/capture/v1/batches`, {
        method: 'POST',
        headers: { Authorization: 'Bearer aura_ck_sandbox', 'Content-Type': 'application/json' },
        body: `[${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}]`,
      });
      expect(deep.status).toBe(422);
      const ok = await fetch(`${sb.url}/capture/v1/batches`, {
        method: 'POST',
        headers: { Authorization: 'Bearer aura_ck_sandbox', 'Content-Type': 'application/json' },
        body: JSON.stringify([{ s: '[[[[[[[[{{{{{{{{' }]),
      });
      expect(ok.status).toBe(202);
      const captured = await fetch(`${sb.url}/_sandbox/captured`);
      expect(captured.status).toBe(200);
      expect(((await captured.json()) as { events: unknown[] }).events).toHaveLength(1);
    });
  });

  describe('item 15: honest about uploads', () => {
    async function started(token: string, start: boolean): Promise<string> {
      const uploadId = randomUUID();
      expect(
        (await api(sb, 'POST', '/uploader/upload/init', token, initBody(uploadId))).status,
      ).toBe(200);
      if (start) {
        const res = await api(sb, 'POST', '/uploader/upload/start', token, {
          upload_id: uploadId,
          assembly_id: 'a',
        });
        expect(res.status).toBe(200);
      }
      return uploadId;
    }

    it('item 15: warns on complete with no finished tus file, in /_sandbox/uploads and the request log', async () => {
      const token = await getToken(sb);
      const uploadId = await started(token, true);
      const created = await tusCreate(sb.tusUrl, token, 10, { upload_id: uploadId });
      await tusPatch(created.headers.get('location')!, token, 0, randomBytesOf(4));
      const complete = await api(sb, 'POST', '/uploader/upload/complete', token, {
        upload_id: uploadId,
        assembly_id: 'a',
      });
      expect(complete.status).toBe(200);
      const { uploads } = (await (await fetch(`${sb.url}/_sandbox/uploads`)).json()) as {
        uploads: { uploadId: string; warnings: { code: string; message: string }[] }[];
      };
      const warnings = uploads.find((u) => u.uploadId === uploadId)!.warnings;
      expect(warnings).toEqual([
        expect.objectContaining({ code: 'complete_without_finished_file' }),
      ]);
      const logged = sb.requests().find((r) => r.path === '/api/uploader/upload/complete');
      expect(logged?.warnings).toEqual([warnings[0]!.message]);
    });

    it('item 15: warns when tus data arrives before start', async () => {
      const token = await getToken(sb);
      const uploadId = await started(token, false);
      await tusUpload(sb.tusUrl, token, randomBytesOf(8), { upload_id: uploadId });
      const warnings = sb.upload(uploadId)!.warnings;
      expect(warnings.map((w) => w.code)).toEqual(['tus_before_start']);
      const tusLog = sb.requests().filter((r) => r.path.startsWith('/files'));
      expect(tusLog.some((r) => r.warnings?.[0] === warnings[0]!.message)).toBe(true);
    });

    it('item 15: refuses both under strictUploads', async () => {
      const strict = await startSandbox({ strictUploads: true, rateLimits: LIMITS });
      try {
        const token = await getToken(strict);
        const early = randomUUID();
        await api(strict, 'POST', '/uploader/upload/init', token, initBody(early));
        const refused = await tusCreate(strict.tusUrl, token, 8, { upload_id: early });
        expect(refused.status).toBe(409);
        expect(await refused.json()).toMatchObject({ error: { code: 'invalid_state' } });

        await api(strict, 'POST', '/uploader/upload/start', token, {
          upload_id: early,
          assembly_id: 'a',
        });
        const complete = await api(strict, 'POST', '/uploader/upload/complete', token, {
          upload_id: early,
          assembly_id: 'a',
        });
        expect(complete.status).toBe(409);
        expect(strict.upload(early)?.state).toBe('started');
        await tusUpload(strict.tusUrl, token, randomBytesOf(8), { upload_id: early });
        const done = await api(strict, 'POST', '/uploader/upload/complete', token, {
          upload_id: early,
          assembly_id: 'a',
        });
        expect(done.status).toBe(200);
        expect(strict.upload(early)?.warnings).toEqual([]);
      } finally {
        await strict.close();
      }
    });

    it('item 15: refuses bad timeout and strictUploads options before listening', async () => {
      for (const options of [
        { requestTimeoutMs: 0 },
        { headersTimeoutMs: 1.5 },
        { headersTimeoutMs: 20_000, requestTimeoutMs: 10_000 },
        { strictUploads: 'yes' as unknown as boolean },
      ]) {
        await expect(startSandbox(options), JSON.stringify(options)).rejects.toThrow(TypeError);
      }
    });

    it('item 15: ends a body trickling past requestTimeoutMs, and headers past headersTimeoutMs', async () => {
      const slow = await startSandbox({ requestTimeoutMs: 600, headersTimeoutMs: 300 });
      try {
        const trickle = (lines: string[], everyMs: number) =>
          new Promise<{ answer: string; ms: number }>((resolve) => {
            const began = performance.now();
            const socket = connect(slow.port, '127.0.0.1');
            let answer = '';
            let i = 0;
            const timer = setInterval(() => {
              if (i < lines.length && !socket.destroyed) socket.write(lines[i++]!);
            }, everyMs);
            socket.on('data', (c) => {
              answer += c;
            });
            socket.on('error', () => undefined);
            socket.on('close', () => {
              clearInterval(timer);
              resolve({ answer, ms: performance.now() - began });
            });
          });
        const body = await trickle(
          [
            'POST /api/auth/exchange HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n',
            ...Array.from({ length: 100 }, () => 'x'),
          ],
          100,
        );
        expect(body.answer).toMatch(/^HTTP\/1\.1 408/);
        expect(body.ms).toBeLessThan(5000);
        const headers = await trickle(
          ['GET /_sandbox/health HTTP/1.1\r\n', ...Array.from({ length: 100 }, () => 'X-A: b\r\n')],
          100,
        );
        expect(headers.answer).toMatch(/^HTTP\/1\.1 408/);
        expect(headers.ms).toBeLessThan(5000);
      } finally {
        await slow.close();
      }
    });
  });
});

describe('item 16: an error while answering one request ends that request only', () => {
  it('item 16: a handler that throws is told to onWarning, answered 500, and the sandbox keeps serving', async () => {
    let broken = false;
    const told: string[] = [];
    // The clock is read while answering (token checks) and when logging the call: a clock that
    // throws stands for any error inside the request path.
    const sb = await startSandbox({
      now: () => {
        if (broken) throw new Error('the clock broke');
        return Date.now();
      },
      onWarning: (message) => told.push(message),
    });
    try {
      const token = await getToken(sb);
      broken = true;
      const failed = await api(sb, 'GET', '/uploader/config', token);
      expect(failed.status).toBe(500);
      expect(failed.body.message).toContain('the clock broke');
      broken = false;
      expect(told.some((m) => m.includes('GET /api/uploader/config failed: the clock broke'))).toBe(
        true,
      );
      expect(told.some((m) => m.includes('could not log GET /api/uploader/config'))).toBe(true);
      expect((await api(sb, 'GET', '/uploader/config', token)).status).toBe(200);
      expect((await fetch(`${sb.url}/_sandbox/health`)).status).toBe(200);
    } finally {
      await sb.close();
    }
  });
});

describe('issue 9: GET /api answers an index', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox();
  });
  afterAll(() => sb.close());

  it('issue 9: GET /api (the printed API base URL) answers a JSON index of endpoints and controls', async () => {
    for (const url of [sb.apiUrl, `${sb.apiUrl}/`]) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      const index = (await res.json()) as {
        endpoints: { method: string; path: string }[];
        controls: { method: string; path: string }[];
        tus: string;
      };
      expect(index.endpoints).toContainEqual(
        expect.objectContaining({ method: 'POST', path: '/api/auth/exchange' }),
      );
      expect(index.endpoints).toContainEqual(
        expect.objectContaining({ method: 'POST', path: '/api/uploader/manage/withdraw' }),
      );
      expect(index.controls).toContainEqual(
        expect.objectContaining({ method: 'GET', path: '/_sandbox/health' }),
      );
      expect(index.tus).toBe(sb.tusUrl);
    }
  });
});
