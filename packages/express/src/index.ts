export { type AuraCapture, type AuraCaptureOptions, auraCapture } from './capture';
export {
  auraErrorHandler,
  auraMiddleware,
  auraRouter,
  captureRawBody,
  requireAuraToken,
  verifyAuraSignature,
} from './middleware';
export type { AuraAuthorizeRequest, AuraCaller } from './types';
