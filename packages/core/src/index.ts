export { defaultBackend as cryptoBackend } from './crypto/default';
export type { CryptoBackend, SigningKey } from './crypto/types';
export type { AuraErrorCode, AuraErrorOptions } from './errors';
export { AuraError, isAuraError } from './errors';
export type { MemoryNonceStoreOptions, NonceStore } from './replay/nonce-store';
export { MemoryNonceStore } from './replay/nonce-store';
export type { AuthorizationParseResult, AuthorizationParts } from './signing/authorization';
export { formatAuthorization, parseAuthorization } from './signing/authorization';
export { canonicalPath, canonicalQuery, normalizeHeaderValue } from './signing/canonical';
export {
  ALGORITHM,
  ALWAYS_SIGNED,
  DEFAULT_SKEW_SECONDS,
  EMPTY_SHA256,
  MAX_AUTHORIZATION_LENGTH,
  SERVICE,
} from './signing/constants';
export type {
  QueryValue,
  SignableRequest,
  SignatureExplanation,
  SignedRequest,
  SigningCredentials,
  SignOptions,
} from './signing/sign';
export {
  explainSignature,
  explainSignatureWith,
  signRequest,
  signRequestWith,
} from './signing/sign';
export type {
  SecretLookup,
  VerifiableRequest,
  VerifyFailure,
  VerifyFailureCode,
  VerifyOptions,
  VerifyResult,
} from './signing/verify';
export { verifyRequest, verifyRequestWith } from './signing/verify';
