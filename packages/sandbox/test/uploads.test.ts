import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index';
import { api, getToken, initBody } from './helpers';

type Step = 'start' | 'complete' | 'error' | 'cancel' | 'submit' | 'withdraw';
const PATHS: Record<Step, string> = {
  start: '/uploader/upload/start',
  complete: '/uploader/upload/complete',
  error: '/uploader/upload/error',
  cancel: '/uploader/upload/cancel',
  submit: '/uploader/manage/submit',
  withdraw: '/uploader/manage/withdraw',
};

describe('the upload state machine', () => {
  let sb: Sandbox;
  let token: string;
  beforeAll(async () => {
    sb = await startSandbox({ rateLimits: { exchange: 1000, lifecycle: 10_000 } });
  });
  beforeEach(async () => {
    token = await getToken(sb);
  });
  afterEach(() => sb.reset());
  afterAll(() => sb.close());

  const step = (name: Step, uploadId: string, extra: Record<string, unknown> = {}) =>
    api(sb, 'POST', PATHS[name], token, {
      upload_id: uploadId,
      assembly_id: 'asm-1',
      message: 'disk full',
      mode: 'uploader',
      ...extra,
    });

  async function initialised(): Promise<string> {
    const uploadId = randomUUID();
    const res = await api(sb, 'POST', '/uploader/upload/init', token, initBody(uploadId));
    expect(res.status).toBe(200);
    return uploadId;
  }

  describe('init', () => {
    it('creates the upload and answers one id per study', async () => {
      const uploadId = randomUUID();
      const body = initBody(uploadId);
      (body.studies as Record<string, unknown>)['1.2.3.4'] = { modalities: ['MR'], images: 4 };
      body.patient_id = 'PAT-123';
      body.context = { referral_id: 'REF-456' };
      const res = await api(sb, 'POST', '/uploader/upload/init', token, body);
      expect(res.status).toBe(200);
      const studies = res.body.studies as { id: string; study_uid: string }[];
      expect(studies.map((s) => s.study_uid)).toEqual(['1.2.840.113619.2.55.3.1', '1.2.3.4']);
      expect(new Set(studies.map((s) => s.id)).size).toBe(2);
      expect(sb.upload(uploadId)).toMatchObject({
        state: 'initialized',
        mode: 'bulk',
        source: 'sandbox-test',
        patientId: 'PAT-123',
        context: { referral_id: 'REF-456' },
      });
    });

    it('refuses a missing or non-v4 upload_id and missing studies with 422', async () => {
      const missing = await api(sb, 'POST', '/uploader/upload/init', token, { mode: 'bulk' });
      expect(missing.status).toBe(422);
      expect(Object.keys(missing.body.errors as object).sort()).toEqual(['studies', 'upload_id']);
      expect(missing.body.message).toBe('The upload id field is required. (and 1 more error)');

      const v1 = await api(sb, 'POST', '/uploader/upload/init', token, {
        ...initBody(),
        upload_id: 'c232ab00-9414-11ec-b3c8-9f6bdeced846',
      });
      expect(v1.status).toBe(422);
      expect(v1.body.errors).toEqual({
        upload_id: ['The upload id field must be a valid UUID (version 4).'],
      });

      const badStudy = await api(sb, 'POST', '/uploader/upload/init', token, {
        ...initBody(),
        studies: { '1.2.3': 'not an object' },
        context: 'nope',
      });
      expect(Object.keys(badStudy.body.errors as object).sort()).toEqual([
        'context',
        'studies.1.2.3',
      ]);
    });

    it('refuses a second init of the same upload_id with 409', async () => {
      const uploadId = await initialised();
      const again = await api(sb, 'POST', '/uploader/upload/init', token, initBody(uploadId));
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ error: { code: 'invalid_state' } });
    });

    it('refuses malformed JSON with 400', async () => {
      const res = await fetch(`${sb.apiUrl}/uploader/upload/init`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'X-Api-Key': sb.credentials.apiKey,
          'Content-Type': 'application/json',
        },
        body: '[1,2',
      });
      expect(res.status).toBe(400);
    });
  });

  it('goes init → start → complete → submit → withdraw, recording what each move carried', async () => {
    const uploadId = await initialised();
    expect((await step('start', uploadId)).body).toMatchObject({ status: 'started' });
    expect((await step('complete', uploadId)).body).toMatchObject({ status: 'completed' });
    const submitted = await step('submit', uploadId, { metadata: { note: 'urgent' } });
    expect(submitted.body).toEqual({
      success: true,
      upload_id: uploadId,
      status: 'submitted',
      message: expect.any(String),
    });
    expect((await step('withdraw', uploadId, { reason: 'duplicate' })).body).toMatchObject({
      status: 'withdrawn',
    });
    expect(sb.upload(uploadId)).toMatchObject({
      assemblyId: 'asm-1',
      submitMetadata: { note: 'urgent' },
      withdrawReason: 'duplicate',
    });
  });

  it('goes init → error and init → start → cancel', async () => {
    const a = await initialised();
    expect((await step('error', a)).body).toMatchObject({ status: 'errored' });
    expect(sb.upload(a)?.errorMessage).toBe('disk full');
    const b = await initialised();
    await step('start', b);
    expect((await step('cancel', b)).body).toMatchObject({ status: 'cancelled' });
  });

  it.each([
    ['complete', [] as Step[], 'initialized'],
    ['submit', [], 'initialized'],
    ['withdraw', ['start', 'complete'], 'completed'],
    ['start', ['start'], 'started'],
    ['start', ['cancel'], 'cancelled'],
    ['complete', ['error'], 'errored'],
    ['cancel', ['start', 'complete'], 'completed'],
    ['error', ['start', 'complete', 'submit'], 'submitted'],
    ['submit', ['start', 'complete', 'submit', 'withdraw'], 'withdrawn'],
  ] as [Step, Step[], string][])(
    'refuses %s after %j with 409 naming the states',
    async (move, before, state) => {
      const uploadId = await initialised();
      for (const s of before) expect((await step(s, uploadId)).status).toBe(200);
      const res = await step(move, uploadId);
      expect(res.status).toBe(409);
      const error = res.body.error as { code: string; message: string };
      expect(error.code).toBe('invalid_state');
      expect(error.message).toContain(`it is ${state}`);
      expect(error.message).toMatch(/ to \w+\.$/);
      expect(sb.upload(uploadId)?.state).toBe(state);
    },
  );

  it('answers 404 upload_not_found for an unknown upload on every move', async () => {
    for (const name of Object.keys(PATHS) as Step[]) {
      const res = await step(name, randomUUID());
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: { code: 'upload_not_found' } });
    }
  });

  it('validates each move’s fields with 422', async () => {
    const uploadId = await initialised();
    const noAssembly = await api(sb, 'POST', PATHS.start, token, { upload_id: uploadId });
    expect(noAssembly.status).toBe(422);
    expect(noAssembly.body.errors).toEqual({ assembly_id: ['The assembly id field is required.'] });
    const noMessage = await api(sb, 'POST', PATHS.error, token, { upload_id: uploadId });
    expect(noMessage.body.errors).toEqual({ message: ['The message field is required.'] });
    const noId = await api(sb, 'POST', PATHS.cancel, token, {});
    expect(noId.body.errors).toEqual({ upload_id: ['The upload id field is required.'] });
    const badMeta = await api(sb, 'POST', PATHS.submit, token, {
      upload_id: uploadId,
      metadata: [1],
    });
    expect(badMeta.body.errors).toEqual({ metadata: ['The metadata field must be an object.'] });
    expect(sb.upload(uploadId)?.state).toBe('initialized');
  });

  it('needs upload:manage for the moves after init (403)', async () => {
    const uploadId = await initialised();
    const initOnly = await getToken(sb, { scopes: ['upload:init'] });
    for (const name of ['start', 'complete', 'error', 'cancel'] as Step[]) {
      const res = await api(sb, 'POST', PATHS[name], initOnly, { upload_id: uploadId });
      expect(res.status).toBe(403);
      expect((res.body.error as { message: string }).message).toContain('upload:manage');
    }
  });
});

describe('lifecycle rate limit', () => {
  it('is 60 per minute per app by default, shared by every lifecycle endpoint', async () => {
    const sb = await startSandbox();
    try {
      const token = await getToken(sb);
      for (let i = 0; i < 60; i++) {
        const res = await api(sb, 'POST', '/uploader/upload/cancel', token, {
          upload_id: randomUUID(),
        });
        expect(res.status).toBe(404);
      }
      const limited = await api(sb, 'POST', '/uploader/upload/init', token, initBody());
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await sb.close();
    }
  });

  it('takes an override', async () => {
    const sb = await startSandbox({ rateLimits: { lifecycle: 1 } });
    try {
      const token = await getToken(sb);
      expect((await api(sb, 'POST', '/uploader/upload/init', token, initBody())).status).toBe(200);
      expect((await api(sb, 'POST', '/uploader/upload/init', token, initBody())).status).toBe(429);
    } finally {
      await sb.close();
    }
  });
});
