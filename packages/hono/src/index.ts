export { type AuraCapture, type AuraCaptureOptions, auraCapture } from './capture';
export type { AuraMiddlewareOptions, VerifyAuraSignatureOptions } from './middleware';
export {
  auraErrorHandler,
  auraMiddleware,
  requireAuraToken,
  verifyAuraSignature,
} from './middleware';
export type { AuraClientSourceOptions } from './request';
export type { AuraRoutesOptions } from './routes';
export { auraRoutes } from './routes';
export type { AuraBindings, AuraCaller, AuraEnv, AuraVariables } from './types';
