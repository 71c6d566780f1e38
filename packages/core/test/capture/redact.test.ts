import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCaptureRedactor, DICOM_PHI_TAGS, CAPTURE_REDACTED as R } from '../../src/index';

describe('capture redaction', () => {
  const redactor = createCaptureRedactor();

  it('masks whole values of any type under sensitive names, at any depth, keeping the rest', () => {
    const input = {
      study: { meta: [{ patient: { id: 7, tags: ['x'] } }], modality: 'CT' },
      homePhone: 5551234,
      'birth-date': null,
      given_name: ['Ann'],
      count: 2,
      ok: true,
    };
    const before = structuredClone(input);
    expect(redactor.body(input)).toEqual({
      study: { meta: [{ patient: R }], modality: 'CT' },
      homePhone: R,
      'birth-date': R,
      given_name: R,
      count: 2,
      ok: true,
    });
    // The application's object is never changed.
    expect(input).toEqual(before);
  });

  it('masks DICOM attributes by tag, private groups and person names anywhere', () => {
    const body = redactor.body({
      '00100010': { vr: 'LO', Value: ['x'] },
      '00291010': { vr: 'OB', InlineBinary: 'AAAA' },
      '00080060': { vr: 'CS', Value: ['MR'] },
      '0040A730': { vr: 'SQ', Value: [] },
      nested: { anything: { vr: 'PN', Value: [{ Alphabetic: 'Doe^J' }] } },
    }) as Record<string, unknown>;
    expect(body).toEqual({
      '00100010': R,
      '00291010': R,
      '00080060': { vr: 'CS', Value: ['MR'] },
      '0040A730': R,
      nested: { anything: R },
    });
    for (const tag of DICOM_PHI_TAGS) {
      expect(
        (redactor.body({ [tag]: { vr: 'LO', Value: ['v'] } }) as Record<string, unknown>)[tag],
        tag,
      ).toBe(R);
    }
  });

  it('masks credentials in keys and values, bounds depth, and never shows a length', () => {
    expect(redactor.body({ aubt_abcdef123456: 1 })).toEqual({ [R]: 1 });
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(JSON.stringify(redactor.body(deep))).toContain(R);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (value) => {
        expect(redactor.body({ patientName: value })).toEqual({ patientName: R });
        expect(redactor.query(`mrn=${encodeURIComponent(value)}`)).toEqual({ mrn: R });
        expect(redactor.headers({ authorization: value, 'x-patient-id': value })).toEqual({
          authorization: R,
          'x-patient-id': R,
        });
      }),
    );
  });

  it('allowOnly keeps the listed fields and masks every other value', () => {
    const strict = createCaptureRedactor({ allowOnly: ['status', 'modality'] });
    expect(strict.body({ status: 'ok', study: { modality: 'CT', note: 'n' }, n: 1 })).toEqual({
      status: 'ok',
      study: { modality: 'CT', note: R },
      n: R,
    });
    expect(strict.body('top-level text')).toBe(R);
    expect(strict.query('status=ok&free=text')).toEqual({ status: 'ok', free: R });
  });

  it('masks path segments a route template names with a sensitive parameter', () => {
    expect(
      redactor.path('/patients/MRN-1/studies/9', '/patients/:patientId/studies/:studyId'),
    ).toBe(`/patients/${R}/studies/9`);
    expect(redactor.path('/v1/mrn/12345', '/v1/mrn/:mrn')).toBe(`/v1/mrn/${R}`);
    expect(redactor.path('/things/42', '/things/:thingId')).toBe('/things/42');
    expect(redactor.path('/files/a/b', '/files/*')).toBe('/files/a/b');
    expect(redactor.path('/t/aubt_secretvalue1', null)).toBe(`/t/${R}`);
  });

  it('adds the headers from the environment and the user', () => {
    const custom = createCaptureRedactor({ headers: ['X-Tenant'] }, ['x-internal-token']);
    expect(custom.headers({ 'X-Tenant': 't', 'x-internal-token': 'i', accept: '*/*' })).toEqual({
      'x-tenant': R,
      'x-internal-token': R,
      accept: '*/*',
    });
  });
});
