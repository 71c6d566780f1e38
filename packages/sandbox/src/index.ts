export { DEFAULT_CAPTURE_KEY } from './capture';
export { DEFAULT_RATE_LIMITS } from './rate-limit';
export { DEFAULT_APP, DEFAULT_HOST, startSandbox } from './sandbox';
export type {
  ActiveFault,
  CapturedBatch,
  FaultRule,
  RateLimitGroup,
  RateLimits,
  RequestLogEntry,
  Sandbox,
  SandboxApp,
  SandboxOptions,
  Scope,
  StudyRecord,
  UploadedFile,
  UploadRecord,
  UploadState,
  UploadWarning,
} from './types';
export { SCOPES } from './types';
