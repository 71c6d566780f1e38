export {
  AURA_SCOPES,
  DEFAULT_SCOPES,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_TOKEN_TTL,
  MAX_TOKEN_TTL,
} from './aura-api';
export type {
  AdapterCaptureControls,
  AdapterCaptureOptions,
  CaptureControls,
  CaptureEnd,
  CaptureEvent,
  CaptureHandle,
  CaptureLogger,
  CaptureOptions,
  CaptureProject,
  CaptureRecorder,
  CaptureRedactOptions,
  CaptureRequestMeta,
  CaptureRetryOptions,
  CaptureSinkFunction,
  CaptureStats,
  CaptureWritable,
  NodeCaptureContext,
} from './capture/index';
export {
  CAPTURE_DEFAULTS,
  CAPTURE_ENV_VARIABLES,
  captureNodeHttp,
  createCaptureRecorder,
  createRedactor as createCaptureRedactor,
  DEFAULT_SENSITIVE_FIELDS as CAPTURE_SENSITIVE_FIELDS,
  DEFAULT_SENSITIVE_HEADERS as CAPTURE_SENSITIVE_HEADERS,
  DICOM_PHI_TAGS,
  REDACTED as CAPTURE_REDACTED,
  withCaptureControls,
} from './capture/index';
export { normalizeBaseUrl } from './client/base-url';
export { AuraClient, DEFAULT_REAUTH_BUDGET } from './client/client';
export type { RetryOptions } from './client/transport';
export type {
  AuraClientOptions,
  AuraScope,
  CallOptions,
  CancelUploadOptions,
  ExchangedToken,
  ExchangeOptions,
  InitUploadOptions,
  InitUploadResult,
  InitUploadStudy,
  ManageResult,
  QueryParams,
  RequestOptions,
  SubmitOptions,
  UploadErrorOptions,
  UploaderConfig,
  UploadStepOptions,
  UploadStepResult,
  WithdrawOptions,
} from './client/types';
export type { AuraEnv, AuraEnvConfig } from './config';
export { AURA_ENV_VARIABLES, auraConfigFromEnv } from './config';
export { defaultBackend as cryptoBackend } from './crypto/default';
export type { CryptoBackend, SigningKey } from './crypto/types';
export type { AuraApiErrorOptions, AuraErrorCode, AuraErrorFor, AuraErrorOptions } from './errors';
export { AuraApiError, AuraError, isAuraError } from './errors';
export type { MemoryNonceStoreOptions, NonceStore } from './replay/nonce-store';
export { MemoryNonceStore } from './replay/nonce-store';
export type { AuraClientSource } from './server/client';
export { resolveAuraClient } from './server/client';
export { auraErrorResponse } from './server/errors';
export type {
  ErrorBody,
  JsonParse,
  NeutralRequest,
  NeutralResponse,
  NodeHeaderSource,
} from './server/http';
export {
  errorResponse,
  headersFromNode,
  headersFromWeb,
  headerValue,
  isJsonContentType,
  jsonResponse,
  nodeBodyLength,
  parseJson,
} from './server/http';
export type { InboundResult, InboundVerifier, InboundVerifierOptions } from './server/inbound';
export {
  bodyTooLarge,
  bytesWithinLimit,
  createInboundVerifier,
  DEFAULT_MAX_BODY_BYTES,
  rawBodyUnavailable,
  readBodyLimited,
} from './server/inbound';
export type {
  MemoryRateLimitStoreOptions,
  RateLimitHit,
  RateLimitStore,
} from './server/rate-limit';
export { MemoryRateLimitStore } from './server/rate-limit';
export type { AuraRoute, AuraRoutePath, AuraRoutesOptions, RouteBody } from './server/routes';
export {
  createAuraRoutes,
  DEFAULT_RATE_LIMIT,
  DEFAULT_ROUTE_BODY_BYTES,
  UPLOADER_MIN_USES,
  UPLOADER_SCOPES,
} from './server/routes';
export { ensureAuraToken } from './server/token-guard';
export type { AuthorizationParseResult, AuthorizationParts } from './signing/authorization';
export { formatAuthorization, parseAuthorization } from './signing/authorization';
export { canonicalPath, canonicalQuery, normalizeHeaderValue } from './signing/canonical';
export {
  ALGORITHM,
  ALWAYS_SIGNED,
  DEFAULT_SKEW_SECONDS,
  DEFAULT_VERIFY_TIMEOUT_MS,
  EMPTY_SHA256,
  MAX_AUTHORIZATION_LENGTH,
  SERVICE,
} from './signing/constants';
export type {
  QueryValue,
  SignableRequest,
  SignatureExplanation,
  SignedBody,
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
export type { MemoryReauthStoreOptions, ReauthDecision, ReauthStore } from './tokens/reauth';
export { MemoryReauthStore } from './tokens/reauth';
export type {
  MemoryTokenStoreOptions,
  StoredToken,
  TokenOrLock,
  TokenStore,
} from './tokens/store';
export { MemoryTokenStore } from './tokens/store';
