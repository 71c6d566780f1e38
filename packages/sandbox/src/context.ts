import type { IncomingMessage, ServerResponse } from 'node:http';
import { MemoryNonceStore } from '@aura/core';
import type { CaptureCollector } from './capture';
import type { FaultQueue } from './faults';
import type { RequestLog } from './log';
import type { RateLimiter } from './rate-limit';
import type { TokenStore } from './tokens';
import type { SandboxApp } from './types';
import type { UploadStore } from './uploads';

/** Everything the handlers share: one per running sandbox. */
export interface SandboxContext {
  apps: Map<string, SandboxApp>;
  tokens: TokenStore;
  uploads: UploadStore;
  limiter: RateLimiter;
  faults: FaultQueue;
  log: RequestLog;
  capture: CaptureCollector;
  nonces: MemoryNonceStore;
  skewSeconds: number;
  now: () => number;
  /** `http://127.0.0.1:<port>`, known once listening. */
  origin: string;
  tusPath: string;
  /** Refuse, rather than warn about, tus data before start and complete before the files. */
  strictUploads: boolean;
}

/** What one call carries through the handlers; `appId` and `code` end up in the log. */
export interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  ctx: SandboxContext;
  appId: string | null;
  /** Warnings this call raised, for the request log. */
  warnings: string[];
}

export function newNonceStore(now: () => number): MemoryNonceStore {
  return new MemoryNonceStore({ now });
}
