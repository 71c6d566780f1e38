export const ALGORITHM = 'AURA-HMAC-SHA256';
export const SERVICE = 'aura_request';
export const KEY_PREFIX = 'AURA';
export const TIMESTAMP_HEADER = 'x-aura-timestamp';
export const NONCE_HEADER = 'x-aura-nonce';
/** Headers every signature covers, lowercase. */
export const ALWAYS_SIGNED = ['host', 'x-aura-nonce', 'x-aura-timestamp'] as const;
/** SHA-256 of the empty string: the payload hash of a request without a body. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** Verifier default: accepted clock difference, in seconds, either way. */
export const DEFAULT_SKEW_SECONDS = 300;
/** Longest `Authorization` header the verifier will parse. */
export const MAX_AUTHORIZATION_LENGTH = 4096;
/** Largest timestamp whose date still fits `YYYYMMDD` (9999-12-31T23:59:59Z). */
export const MAX_TIMESTAMP = 253_402_300_799;
/** Verifier default: deadline, in ms, for an asynchronous secret lookup or nonce claim. */
export const DEFAULT_VERIFY_TIMEOUT_MS = 2000;
