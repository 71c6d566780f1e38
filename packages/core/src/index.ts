export { AuraError, isAuraError } from './errors';
export type { AuraErrorCode, AuraErrorOptions } from './errors';

export {
  signRequest,
  explainSignature,
  signRequestWith,
  explainSignatureWith,
} from './signing/sign';
export type {
  SigningCredentials,
  SignableRequest,
  SignOptions,
  SignedRequest,
  SignatureExplanation,
  QueryValue,
} from './signing/sign';
export { verifyRequest, verifyRequestWith } from './signing/verify';
export type {
  VerifiableRequest,
  VerifyOptions,
  VerifyResult,
  VerifyFailure,
  VerifyFailureCode,
  SecretLookup,
} from './signing/verify';
export { parseAuthorization, formatAuthorization } from './signing/authorization';
export type { AuthorizationParts, AuthorizationParseResult } from './signing/authorization';
export { canonicalPath, canonicalQuery, normalizeHeaderValue } from './signing/canonical';
export {
  ALGORITHM,
  SERVICE,
  ALWAYS_SIGNED,
  DEFAULT_SKEW_SECONDS,
  MAX_AUTHORIZATION_LENGTH,
  EMPTY_SHA256,
} from './signing/constants';

export { MemoryNonceStore } from './replay/nonce-store';
export type { NonceStore, MemoryNonceStoreOptions } from './replay/nonce-store';

export { defaultBackend as cryptoBackend } from './crypto/default';
export type { CryptoBackend, SigningKey } from './crypto/types';
