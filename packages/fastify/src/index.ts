import './types';

export { type AuraCapture, type AuraCaptureOptions, auraCapture } from './capture';
export { auraErrorHandler, requireAuraToken } from './guards';
export { type AuraPluginOptions, auraPlugin } from './plugin';
export { type AuraRoutesPluginOptions, auraRoutes } from './routes';
export type { AuraAuthorizeRequest, AuraCaller } from './types';
export { type VerifyAuraSignatureOptions, verifyAuraSignature } from './verify';
