import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
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

async function waitFor(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the tus endpoint at lift.endpoint', () => {
  let sb: Sandbox;
  let token: string;
  let endpoint: string;
  let now = Date.now();
  beforeAll(async () => {
    sb = await startSandbox({
      apps: [
        { appId: 'aura_pk_sandbox', appSecret: 'aura_sk_sandbox', apiKey: 'aura_au_sandbox' },
        OTHER,
      ],
      rateLimits: { exchange: 1000, lifecycle: 1000, config: 1000 },
      now: () => now,
    });
    endpoint = sb.tusUrl;
  });
  afterEach(async () => {
    now = Date.now();
    await sb.reset();
  });
  afterAll(() => sb.close());

  async function freshUpload(scopes?: string[]): Promise<string> {
    token = await getToken(sb, scopes === undefined ? {} : { scopes }, {
      timestamp: Math.floor(now / 1000),
    });
    const uploadId = randomUUID();
    const res = await api(sb, 'POST', '/uploader/upload/init', token, initBody(uploadId));
    expect(res.status).toBe(200);
    return uploadId;
  }

  it('takes an upload with the upload token and lists it under its upload id', async () => {
    const uploadId = await freshUpload(['upload:init']);
    const bytes = randomBytesOf(50_000);
    const location = await tusUpload(endpoint, token, bytes, {
      upload_id: uploadId,
      filename: 'a.dcm',
    });
    const id = location.slice(endpoint.length);
    const listed = (await (await fetch(`${sb.url}/_sandbox/uploads/${uploadId}`)).json()) as {
      upload: { files: { id: string; finished: boolean; metadata: Record<string, string> }[] };
    };
    expect(listed.upload.files).toHaveLength(1);
    expect(listed.upload.files[0]).toMatchObject({
      id,
      finished: true,
      metadata: { upload_id: uploadId, filename: 'a.dcm' },
    });
    expect(sb.upload(uploadId)?.files[0]?.finishedAt).not.toBeNull();
    expect(await readFile(path.join(sb.dataDir, id))).toEqual(Buffer.from(bytes));
  });

  it('takes the lift.token from /uploader/config instead of the upload token', async () => {
    const uploadId = await freshUpload();
    const config = await api(sb, 'GET', '/uploader/config', token);
    const lift = config.body.lift as { endpoint: string; token: string };
    const location = await tusUpload(lift.endpoint, lift.token, randomBytesOf(1000), {
      upload_id: uploadId,
    });
    const head = await tusHead(location, lift.token);
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe('1000');
  });

  it('refuses calls without a valid token (401), or with neither upload scope (403)', async () => {
    const none = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '10' },
    });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'invalid_token' } });
    const unknown = await tusCreate(endpoint, 'aubt_nope', 10, {});
    expect(unknown.status).toBe(401);
    const readOnly = await getToken(sb, { scopes: ['integration:read'] });
    const forbidden = await tusCreate(endpoint, readOnly, 10, {});
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: { code: 'insufficient_scope' } });
  });

  it('refuses an expired token', async () => {
    token = await getToken(sb, { ttl: 5 }, { timestamp: Math.floor(now / 1000) });
    const created = await tusCreate(endpoint, token, 4, {});
    expect(created.status).toBe(201);
    now += 5_000;
    const late = await tusPatch(created.headers.get('location')!, token, 0, new Uint8Array(4));
    expect(late.status).toBe(401);
    expect(await late.json()).toMatchObject({ error: { code: 'token_expired' } });
  });

  it('refuses an unknown upload_id (404) and an upload that no longer takes files (409)', async () => {
    const uploadId = await freshUpload();
    const unknown = await tusCreate(endpoint, token, 10, { upload_id: randomUUID() });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'upload_not_found' } });
    await api(sb, 'POST', '/uploader/upload/cancel', token, { upload_id: uploadId });
    const closed = await tusCreate(endpoint, token, 10, { upload_id: uploadId });
    expect(closed.status).toBe(409);
    expect(await closed.json()).toMatchObject({ error: { code: 'invalid_state' } });
  });

  it('keeps a file without upload_id metadata, listed with uploadId null', async () => {
    token = await getToken(sb);
    const location = await tusUpload(endpoint, token, randomBytesOf(10), { filename: 'x' });
    const { files } = (await (await fetch(`${sb.url}/_sandbox/uploads`)).json()) as {
      files: { id: string; uploadId: string | null; finished: boolean }[];
    };
    expect(files).toEqual([
      expect.objectContaining({
        id: location.slice(endpoint.length),
        uploadId: null,
        finished: true,
      }),
    ]);
  });

  it('hides one app’s files from another app (404)', async () => {
    const uploadId = await freshUpload();
    const created = await tusCreate(endpoint, token, 10, { upload_id: uploadId });
    const location = created.headers.get('location')!;
    const theirs = await getToken(sb, {}, { app: OTHER, timestamp: Math.floor(now / 1000) });
    expect((await tusHead(location, theirs)).status).toBe(404);
    expect((await tusPatch(location, theirs, 0, new Uint8Array(10))).status).toBe(404);
    expect((await tusHead(location, token)).status).toBe(200);
  });

  it('answers tus discovery (OPTIONS) without a token', async () => {
    const res = await fetch(endpoint, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('tus-version')).toContain('1.0.0');
    expect(res.headers.get('tus-extension')).toContain('creation');
  });

  it('resumes an interrupted upload from the offset HEAD gives', async () => {
    const uploadId = await freshUpload();
    const bytes = randomBytesOf(256 * 1024, 7);
    const half = 100 * 1024;
    const created = await tusCreate(endpoint, token, bytes.length, { upload_id: uploadId });
    const location = created.headers.get('location')!;
    const id = location.slice(endpoint.length);

    // Send part of the bytes, then cut the connection mid-request.
    const interrupted = request(location, {
      method: 'PATCH',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': '0',
        'Content-Type': 'application/offset+octet-stream',
        'Content-Length': String(bytes.length),
        Authorization: `Bearer ${token}`,
      },
    });
    interrupted.on('error', () => undefined);
    interrupted.write(bytes.subarray(0, half));
    await waitFor(async () => (await stat(path.join(sb.dataDir, id))).size >= half);
    interrupted.destroy();

    let offset = 0;
    await waitFor(async () => {
      const head = await tusHead(location, token);
      offset = Number(head.headers.get('upload-offset'));
      return head.status === 200 && offset === half;
    });
    expect(offset).toBe(half);
    expect(sb.upload(uploadId)?.files[0]).toMatchObject({ finished: false, offset: half });

    const rest = await tusPatch(location, token, offset, bytes.subarray(offset));
    expect(rest.status).toBe(204);
    expect(rest.headers.get('upload-offset')).toBe(String(bytes.length));
    expect(sb.upload(uploadId)?.files[0]).toMatchObject({ finished: true, offset: bytes.length });
    expect(await readFile(path.join(sb.dataDir, id))).toEqual(Buffer.from(bytes));
  });

  it('refuses a PATCH at the wrong offset with 409 (tus)', async () => {
    const uploadId = await freshUpload();
    const created = await tusCreate(endpoint, token, 10, { upload_id: uploadId });
    const res = await tusPatch(created.headers.get('location')!, token, 5, new Uint8Array(5));
    expect(res.status).toBe(409);
  });

  it('takes concurrent uploads, in chunks, to several uploads at once', async () => {
    const uploads = [await freshUpload(), await freshUpload(), await freshUpload()];
    const files = Array.from({ length: 6 }, (_, i) => ({
      uploadId: uploads[i % 3]!,
      bytes: randomBytesOf(40_000 + i * 1000, i + 11),
    }));
    const locations = await Promise.all(
      files.map(async ({ uploadId, bytes }) => {
        const created = await tusCreate(endpoint, token, bytes.length, { upload_id: uploadId });
        const location = created.headers.get('location')!;
        const cut = Math.floor(bytes.length / 2);
        expect((await tusPatch(location, token, 0, bytes.subarray(0, cut))).status).toBe(204);
        expect((await tusPatch(location, token, cut, bytes.subarray(cut))).status).toBe(204);
        return location;
      }),
    );
    expect(new Set(locations).size).toBe(6);
    for (const uploadId of uploads) {
      expect(sb.upload(uploadId)?.files.map((f) => f.finished)).toEqual([true, true]);
    }
    for (const [i, location] of locations.entries()) {
      const onDisk = await readFile(path.join(sb.dataDir, location.slice(endpoint.length)));
      expect(onDisk).toEqual(Buffer.from(files[i]!.bytes));
    }
  });

  it('removes received files on reset', async () => {
    token = await getToken(sb);
    const location = await tusUpload(endpoint, token, randomBytesOf(10), {});
    const file = path.join(sb.dataDir, location.slice(endpoint.length));
    await stat(file);
    await sb.reset();
    await expect(stat(file)).rejects.toThrow();
    expect((await tusHead(location, token)).status).toBe(401);
  });
});
