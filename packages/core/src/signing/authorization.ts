import { ALGORITHM, MAX_AUTHORIZATION_LENGTH } from './constants';

export interface AuthorizationParts {
  /** The `Credential` attribute: the app id. */
  appId: string;
  /** Lowercase header names, in the order given (which a valid header has sorted). */
  signedHeaders: string[];
  /** 64 lowercase hex digits. */
  signature: string;
}

export type AuthorizationParseResult =
  | ({ ok: true } & AuthorizationParts)
  | {
      ok: false;
      code: 'unsupported_scheme' | 'malformed_authorization' | 'authorization_too_long';
      message: string;
    };

const SIGNATURE = /^[0-9a-f]{64}$/;
const CREDENTIAL = /^[\x21-\x2b\x2d\x2e\x30-\x7e]+$/; // visible ASCII but "," and "/"
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const ATTRIBUTES = ['Credential', 'SignedHeaders', 'Signature'] as const;

function fail(
  code: 'unsupported_scheme' | 'malformed_authorization' | 'authorization_too_long',
  message: string,
): AuthorizationParseResult {
  return { ok: false, code, message };
}

function describeSignature(value: string): string {
  if (value.length !== 64)
    return `Signature must be 64 hex digits (got ${value.length} characters)`;
  if (/^[0-9a-fA-F]+$/.test(value)) return 'Signature must be lowercase hex';
  return 'Signature must be hex digits only';
}

/**
 * Parses `AURA-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…` strictly: the exact
 * scheme, each attribute exactly once, nothing else. Never throws, whatever it is given.
 */
export function parseAuthorization(header: unknown): AuthorizationParseResult {
  if (typeof header !== 'string' || header === '') {
    return fail('malformed_authorization', 'Authorization header is missing or empty');
  }
  // Checked first so that an oversized header costs nothing more than its length.
  if (header.length > MAX_AUTHORIZATION_LENGTH) {
    return fail(
      'authorization_too_long',
      `Authorization header is longer than ${MAX_AUTHORIZATION_LENGTH} characters`,
    );
  }
  // What signers send is read first, without slicing out the scheme.
  const fast = parseCanonicalForm(header);
  if (fast !== undefined) return fast;
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  if (scheme !== ALGORITHM) {
    return fail(
      'unsupported_scheme',
      `Authorization scheme must be ${ALGORITHM} (got "${scheme.slice(0, 32)}")`,
    );
  }
  if (space === -1)
    return fail('malformed_authorization', 'Authorization header has no attributes');

  const found: Partial<Record<(typeof ATTRIBUTES)[number], string>> = {};
  for (const rawPart of header.slice(space + 1).split(',')) {
    const part = rawPart.trim();
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    if (!(ATTRIBUTES as readonly string[]).includes(name)) {
      return fail(
        'malformed_authorization',
        name === ''
          ? 'Authorization has an empty attribute'
          : `Authorization has an unknown attribute "${name.slice(0, 32)}"`,
      );
    }
    const key = name as (typeof ATTRIBUTES)[number];
    if (found[key] !== undefined) {
      return fail(
        'malformed_authorization',
        `Authorization attribute ${key} is given more than once`,
      );
    }
    if (eq === -1)
      return fail('malformed_authorization', `Authorization attribute ${key} has no value`);
    found[key] = part.slice(eq + 1);
  }
  for (const key of ATTRIBUTES) {
    if (found[key] === undefined) {
      return fail('malformed_authorization', `Authorization attribute ${key} is missing`);
    }
  }
  const appId = found.Credential!;
  const signedHeadersText = found.SignedHeaders!;
  const signature = found.Signature!;
  if (!CREDENTIAL.test(appId)) {
    return fail(
      'malformed_authorization',
      'Credential must be an app id of visible ASCII without "," or "/"',
    );
  }
  const signedHeaders = signedHeadersText.split(';');
  for (let i = 0; i < signedHeaders.length; i++) {
    const name = signedHeaders[i]!;
    if (!HEADER_NAME.test(name)) {
      return fail(
        'malformed_authorization',
        'SignedHeaders must be lowercase header names joined by ";"',
      );
    }
    if (i > 0 && signedHeaders[i - 1]! >= name) {
      return fail('malformed_authorization', 'SignedHeaders must be sorted and without repeats');
    }
  }
  if (!SIGNATURE.test(signature))
    return fail('malformed_authorization', describeSignature(signature));
  return { ok: true, appId, signedHeaders, signature };
}

const USUAL_SIGNED_HEADERS = new Map(
  ['host;x-aura-nonce;x-aura-timestamp', 'content-type;host;x-aura-nonce;x-aura-timestamp'].map(
    (text) => [text, text.split(';')] as const,
  ),
);
const CANONICAL_PREFIX = `${ALGORITHM} Credential=`;
// The last Credential found valid: a verifier hears from a few app ids, each many times.
let lastCredential: string | undefined;
const SIGNED_HEADERS_ATTRIBUTE = ',SignedHeaders=';
const SIGNATURE_ATTRIBUTE = ',Signature=';

/**
 * The form every signer sends (`formatAuthorization`'s: no spaces, attributes in order), read
 * with three `indexOf`s instead of splitting and trimming; `undefined` for anything else, which
 * the general parser then reads (and explains). Accepts exactly what the general parser accepts
 * of this form: a Credential holds no ",", so the first ",SignedHeaders=" ends it, and the
 * pieces pass the same checks.
 */
function parseCanonicalForm(header: string): AuthorizationParseResult | undefined {
  if (!header.startsWith(CANONICAL_PREFIX)) return undefined;
  const credentialAt = CANONICAL_PREFIX.length;
  const signedAt = header.indexOf(SIGNED_HEADERS_ATTRIBUTE, credentialAt);
  if (signedAt === -1) return undefined;
  const signatureAt = header.length - 64 - SIGNATURE_ATTRIBUTE.length;
  if (signatureAt <= signedAt || !header.startsWith(SIGNATURE_ATTRIBUTE, signatureAt)) {
    return undefined;
  }
  const appId = header.slice(credentialAt, signedAt);
  const signature = header.slice(signatureAt + SIGNATURE_ATTRIBUTE.length);
  if (appId !== lastCredential) {
    if (!CREDENTIAL.test(appId)) return undefined;
    lastCredential = appId;
  }
  if (!SIGNATURE.test(signature)) return undefined;
  const signedHeadersText = header.slice(signedAt + SIGNED_HEADERS_ATTRIBUTE.length, signatureAt);
  // The two lists signers send: known valid, copied rather than split and checked again.
  const usual = USUAL_SIGNED_HEADERS.get(signedHeadersText);
  if (usual !== undefined) return { ok: true, appId, signedHeaders: usual.slice(), signature };
  const signedHeaders = signedHeadersText.split(';');
  for (let i = 0; i < signedHeaders.length; i++) {
    const name = signedHeaders[i]!;
    if (!HEADER_NAME.test(name) || (i > 0 && signedHeaders[i - 1]! >= name)) return undefined;
  }
  return { ok: true, appId, signedHeaders, signature };
}

/** Builds the `Authorization` header value from its parts. */
export function formatAuthorization(parts: {
  appId: string;
  signedHeaders: string | readonly string[];
  signature: string;
}): string {
  const signedHeaders =
    typeof parts.signedHeaders === 'string' ? parts.signedHeaders : parts.signedHeaders.join(';');
  return `${ALGORITHM} Credential=${parts.appId},SignedHeaders=${signedHeaders},Signature=${parts.signature}`;
}
