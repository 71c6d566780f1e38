export { type AuraCapture, type AuraCaptureOptions, auraCapture } from './capture';
export type { AuraMiddlewareOptions, VerifyAuraSignatureOptions } from './middleware';
export { auraErrors, auraMiddleware, requireAuraToken, verifyAuraSignature } from './middleware';
export type { AuraRouterOptions } from './router';
export { auraRouter } from './router';
export type { AuraCaller } from './types';
