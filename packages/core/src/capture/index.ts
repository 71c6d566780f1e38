export {
  type AdapterCaptureControls,
  type AdapterCaptureOptions,
  withCaptureControls,
} from './adapter';
export { BodyTee, keepableContentType } from './body';
export { gzip, retryAfterMs } from './delivery';
export { captureNodeHttp, type NodeCaptureContext } from './node-http';
export {
  CAPTURE_DEFAULTS,
  CAPTURE_ENV_VARIABLES,
  type CaptureRecorder,
  type CaptureRetryOptions,
  createCaptureRecorder,
} from './recorder';
export {
  type CaptureRedactor,
  createRedactor,
  DEFAULT_SENSITIVE_FIELDS,
  DEFAULT_SENSITIVE_HEADERS,
  DICOM_PHI_TAGS,
  REDACTED,
} from './redact';
export type * from './types';
