import { describe, expect, it } from 'vitest';
import {
  errorResponse,
  headersFromWeb,
  headerValue,
  isJsonContentType,
  jsonResponse,
  parseJson,
} from '../../src/index';
import { looksLikeJson } from '../../src/server/http';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('neutral http helpers', () => {
  it('builds error answers as { error: { code, message } }', () => {
    expect(errorResponse(429, 'rate_limited', 'slow down', { 'retry-after': '3' })).toEqual({
      status: 429,
      headers: { 'retry-after': '3' },
      body: { error: { code: 'rate_limited', message: 'slow down' } },
    });
    expect(jsonResponse(200, { a: 1 })).toEqual({ status: 200, headers: {}, body: { a: 1 } });
  });

  it('converts Web headers, keeping a repeated Authorization visible as one joined value', () => {
    const headers = new Headers();
    headers.append('Authorization', 'AURA-HMAC-SHA256 a');
    headers.append('Authorization', 'AURA-HMAC-SHA256 b');
    headers.append('X-Aura-Nonce', 'n');
    headers.append('Set-Cookie', 'a=1');
    headers.append('Set-Cookie', 'b=2');
    const out = headersFromWeb(headers);
    expect(out.authorization).toBe('AURA-HMAC-SHA256 a, AURA-HMAC-SHA256 b');
    expect(out['x-aura-nonce']).toBe('n');
    expect(out['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('reads a header case-insensitively, the first of several', () => {
    expect(headerValue({ 'Content-Type': 'application/json' }, 'content-type')).toBe(
      'application/json',
    );
    expect(headerValue({ host: ['a', 'b'] }, 'Host')).toBe('a');
    expect(headerValue({ host: undefined }, 'host')).toBeUndefined();
  });

  it('recognises JSON content types only', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('application/json; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/vnd.api+json')).toBe(true);
    expect(isJsonContentType('application/jsonp')).toBe(false);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });

  it('parses JSON from bytes and text; empty is undefined; bad input is a failure, not a throw', () => {
    expect(parseJson(bytes('{"a":1}'))).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJson('[1]')).toEqual({ ok: true, value: [1] });
    expect(parseJson(bytes('  '))).toEqual({ ok: true, value: undefined });
    expect(parseJson(undefined)).toEqual({ ok: true, value: undefined });
    expect(parseJson(bytes('{"a":'))).toEqual({ ok: false, message: 'the body is not valid JSON' });
    expect(parseJson(new Uint8Array([0x7b, 0xff, 0x7d]))).toEqual({
      ok: false,
      message: 'the body is not valid UTF-8',
    });
  });

  it('sniffs JSON only from a leading { or [ (after whitespace and a BOM)', () => {
    expect(looksLikeJson(bytes(' \n{"a":1}'))).toBe(true);
    expect(looksLikeJson(new Uint8Array([0xef, 0xbb, 0xbf, 0x5b, 0x5d]))).toBe(true);
    expect(looksLikeJson(bytes('a=1'))).toBe(false);
    expect(looksLikeJson(bytes('   '))).toBe(false);
  });
});
