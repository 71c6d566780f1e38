export { AuraClient, type AuraClientOptions, AuraError, isAuraError } from '@aura/core';
export { AuraExceptionFilter } from './filter';
export {
  Aura,
  AuraCaller,
  AuraClientPipe,
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
} from './module';
export type { AuraModuleRoutes } from './routes';
