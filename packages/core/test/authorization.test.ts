import { describe, expect, it } from 'vitest';
import {
  type AuthorizationParseResult,
  formatAuthorization,
  parseAuthorization,
} from '../src/signing/authorization';
import { MAX_AUTHORIZATION_LENGTH } from '../src/signing/constants';

const SIGNATURE = '4e865169c280c238e93ea51681fdf9e5977ecbf0dc60fbbf0b6b7ccba2005093';
const SIGNED = 'content-type;host;x-aura-nonce;x-aura-timestamp';
const VALID = `AURA-HMAC-SHA256 Credential=test-app-id,SignedHeaders=${SIGNED},Signature=${SIGNATURE}`;

function header(attributes: string): string {
  return `AURA-HMAC-SHA256 ${attributes}`;
}

function expectFailure(result: AuthorizationParseResult, code: string): void {
  expect(result).toEqual({ ok: false, code, message: expect.any(String) });
}

describe('parseAuthorization', () => {
  it('parses a valid header', () => {
    expect(parseAuthorization(VALID)).toEqual({
      ok: true,
      appId: 'test-app-id',
      signedHeaders: ['content-type', 'host', 'x-aura-nonce', 'x-aura-timestamp'],
      signature: SIGNATURE,
    });
  });

  it('accepts the attributes in any order', () => {
    const result = parseAuthorization(
      header(`Signature=${SIGNATURE},Credential=test-app-id,SignedHeaders=${SIGNED}`),
    );
    expect(result).toMatchObject({ ok: true, appId: 'test-app-id', signature: SIGNATURE });
  });

  it.each([undefined, null, 42, {}, [], ['AURA-HMAC-SHA256'], true, Symbol('x'), () => VALID])(
    'refuses the non-string %s without throwing (malformed_authorization)',
    (input) => {
      expectFailure(parseAuthorization(input), 'malformed_authorization');
    },
  );

  it('refuses an empty header (malformed_authorization)', () => {
    expectFailure(parseAuthorization(''), 'malformed_authorization');
  });

  it.each([
    'Bearer aubt_x',
    `AWS4-HMAC-SHA256 Credential=AKID/20240125/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${SIGNATURE}`,
    `AURA-HMAC-SHA1 Credential=test-app-id,SignedHeaders=${SIGNED},Signature=${SIGNATURE}`,
    `aura-hmac-sha256 Credential=test-app-id,SignedHeaders=${SIGNED},Signature=${SIGNATURE}`,
    `AURA-HMAC-SHA256X Credential=test-app-id,SignedHeaders=${SIGNED},Signature=${SIGNATURE}`,
    `AURA-HMAC-SHA256\tCredential=test-app-id,SignedHeaders=${SIGNED},Signature=${SIGNATURE}`,
    ` ${VALID}`,
    'Basic dXNlcjpwYXNz',
  ])('refuses the scheme of %j (unsupported_scheme)', (input) => {
    expectFailure(parseAuthorization(input), 'unsupported_scheme');
  });

  it('refuses the scheme with no attributes (malformed_authorization)', () => {
    expectFailure(parseAuthorization('AURA-HMAC-SHA256'), 'malformed_authorization');
    expectFailure(parseAuthorization('AURA-HMAC-SHA256 '), 'malformed_authorization');
  });

  it.each(['Credential', 'SignedHeaders', 'Signature'])(
    'refuses a duplicated %s attribute (malformed_authorization)',
    (name) => {
      const value = { Credential: 'test-app-id', SignedHeaders: SIGNED, Signature: SIGNATURE }[
        name
      ];
      const result = parseAuthorization(`${VALID},${name}=${value}`);
      expectFailure(result, 'malformed_authorization');
      expect(result.ok === false && result.message).toContain('more than once');
    },
  );

  it.each(['Region=eu', 'credential=test-app-id', 'Date=20240125', 'x'])(
    'refuses the unknown attribute %j (malformed_authorization)',
    (extra) => {
      expectFailure(parseAuthorization(`${VALID},${extra}`), 'malformed_authorization');
    },
  );

  it.each([
    ['Credential', header(`SignedHeaders=${SIGNED},Signature=${SIGNATURE}`)],
    ['SignedHeaders', header(`Credential=test-app-id,Signature=${SIGNATURE}`)],
    ['Signature', header(`Credential=test-app-id,SignedHeaders=${SIGNED}`)],
  ])('refuses a missing %s attribute (malformed_authorization)', (name, input) => {
    const result = parseAuthorization(input);
    expectFailure(result, 'malformed_authorization');
    expect(result.ok === false && result.message).toContain(`${name} is missing`);
  });

  it('refuses an attribute without a value, and an empty attribute (malformed_authorization)', () => {
    expectFailure(
      parseAuthorization(header(`Credential,SignedHeaders=${SIGNED},Signature=${SIGNATURE}`)),
      'malformed_authorization',
    );
    expectFailure(parseAuthorization(`${VALID},`), 'malformed_authorization');
    expectFailure(
      parseAuthorization(
        header(`Credential=test-app-id,,SignedHeaders=${SIGNED},Signature=${SIGNATURE}`),
      ),
      'malformed_authorization',
    );
  });

  it.each(['', 'test/app', 'test app', 'tést', 'a\tb'])(
    'refuses the Credential %j (malformed_authorization)',
    (appId) => {
      expectFailure(
        parseAuthorization(
          header(`Credential=${appId},SignedHeaders=${SIGNED},Signature=${SIGNATURE}`),
        ),
        'malformed_authorization',
      );
    },
  );

  it.each([
    'host;content-type;x-aura-nonce;x-aura-timestamp',
    'host;host;x-aura-nonce;x-aura-timestamp',
    'Host;x-aura-nonce;x-aura-timestamp',
    'host;;x-aura-nonce;x-aura-timestamp',
    '',
    'host x-aura-nonce',
  ])(
    'refuses SignedHeaders %j: unsorted, repeated, upper-case or empty (malformed_authorization)',
    (signed) => {
      expectFailure(
        parseAuthorization(
          header(`Credential=test-app-id,SignedHeaders=${signed},Signature=${SIGNATURE}`),
        ),
        'malformed_authorization',
      );
    },
  );

  it('refuses every signature length other than 64 (malformed_authorization)', () => {
    for (let length = 0; length <= 130; length++) {
      if (length === 64) continue;
      const signature = SIGNATURE.repeat(3).slice(0, length);
      const result = parseAuthorization(
        header(`Credential=test-app-id,SignedHeaders=${SIGNED},Signature=${signature}`),
      );
      expectFailure(result, 'malformed_authorization');
    }
  });

  it.each([
    ['upper-case', SIGNATURE.toUpperCase()],
    ['non-hex', `${SIGNATURE.slice(0, 63)}g`],
    ['with a space', `${SIGNATURE.slice(0, 32)} ${SIGNATURE.slice(33)}`],
    ['non-ASCII', `${SIGNATURE.slice(0, 63)}é`],
  ])('refuses a %s signature (malformed_authorization)', (_name, signature) => {
    const result = parseAuthorization(
      header(`Credential=test-app-id,SignedHeaders=${SIGNED},Signature=${signature}`),
    );
    expectFailure(result, 'malformed_authorization');
  });

  it('refuses a header longer than 4 KiB before parsing it (authorization_too_long)', () => {
    expect(MAX_AUTHORIZATION_LENGTH).toBe(4096);
    expectFailure(
      parseAuthorization(VALID + 'a'.repeat(4097 - VALID.length)),
      'authorization_too_long',
    );
    expectFailure(parseAuthorization('x'.repeat(1024 * 1024)), 'authorization_too_long');
    expectFailure(parseAuthorization(`${VALID},`.repeat(20_000)), 'authorization_too_long');
  });

  it('parses a header of exactly 4 KiB (the limit is inclusive)', () => {
    const appId = 'a'.repeat(4096 - VALID.length + 'test-app-id'.length);
    const input = VALID.replace('test-app-id', appId);
    expect(input).toHaveLength(4096);
    expect(parseAuthorization(input)).toMatchObject({ ok: true, appId });
  });

  it('keeps its messages short, whatever it is given', () => {
    const inputs = [
      `${'B'.repeat(4000)} x`,
      header(`${'Z'.repeat(4000)}=1`),
      header(`Credential=${'c'.repeat(4000)},SignedHeaders=host,Signature=x`),
    ];
    for (const input of inputs) {
      const result = parseAuthorization(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message.length).toBeLessThan(160);
    }
  });
});

describe('formatAuthorization', () => {
  it('formats the parts in the protocol order', () => {
    expect(
      formatAuthorization({ appId: 'test-app-id', signedHeaders: SIGNED, signature: SIGNATURE }),
    ).toBe(VALID);
  });

  it('accepts the signed headers as a list', () => {
    expect(
      formatAuthorization({
        appId: 'test-app-id',
        signedHeaders: SIGNED.split(';'),
        signature: SIGNATURE,
      }),
    ).toBe(VALID);
  });

  it('round-trips: parse(format(parts)) gives the parts back, format(parse(header)) the header', () => {
    const cases = [
      { appId: 'test-app-id', signedHeaders: SIGNED.split(';'), signature: SIGNATURE },
      {
        appId: 'aura_pk_testapp123',
        signedHeaders: ['host', 'x-aura-nonce', 'x-aura-timestamp'],
        signature: 'f'.repeat(64),
      },
      {
        appId: 'a=b;c!~',
        signedHeaders: ['host', 'x-api-key', 'x-aura-nonce', 'x-aura-timestamp'],
        signature: '0'.repeat(64),
      },
    ];
    for (const parts of cases) {
      const text = formatAuthorization(parts);
      const parsed = parseAuthorization(text);
      expect(parsed).toEqual({ ok: true, ...parts });
      if (parsed.ok) expect(formatAuthorization(parsed)).toBe(text);
    }
  });
});
