export {
  type CaptureConformanceOptions,
  type CaptureScenarioId,
  runCaptureConformance,
} from './capture';
export * from './capture-mount';
export type { ConformanceOptions, ScenarioId } from './conformance';
export { INBOUND_APPS, MAX_BODY_BYTES, RATE_LIMIT, runAuraConformance } from './conformance';
export type { Answer, SignedCall } from './http';
export { call, rawRequest, signedCall, signedParts } from './http';
export type { Mount, Mounted, MountSetup, MountVariant } from './mount';
export { PATHS, USER_HEADER } from './mount';
export { type ReadmeBlock, readmeBlocks, squashCode, stubAuraEnv, typeProblems } from './readme';
