export { AuraClient, type AuraClientOptions, AuraError, isAuraError } from '@aura/core';
export {
  AURA_CAPTURE,
  type AuraCapture,
  AuraCaptureModule,
  type AuraCaptureOptions,
  auraCapture,
} from './capture';
export {
  Aura,
  AuraCaller,
  AuraClientPipe,
  AuraExceptionFilter,
  AuraSigned,
  AuraSignedGuard,
  RequireAuraToken,
  RequireAuraTokenGuard,
} from './guards';
export type { AuraRequest } from './http';
export {
  AURA_MODULE_OPTIONS,
  AuraModule,
  type AuraModuleAsyncOptions,
  type AuraModuleOptions,
  type AuraModuleRoutes,
} from './module';
