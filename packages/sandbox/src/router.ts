import {
  cancelUpload,
  completeUpload,
  errorUpload,
  initUpload,
  startUpload,
  submitUpload,
  uploaderConfig,
  withdrawUpload,
} from './api';
import { exchange } from './auth';
import type { Call } from './context';
import type { Reply } from './http';

export type Handler = (call: Call, raw: Buffer) => Reply | Promise<Reply>;

export interface Route {
  method: 'GET' | 'POST';
  handler: Handler;
  /** Largest body read, in bytes. */
  bodyLimit: number;
}

const MiB = 1024 * 1024;
const api = (method: Route['method'], handler: Handler): Route => ({
  method,
  handler,
  bodyLimit: MiB,
});

/** Every endpoint of docs/API.md, and the capture collector, by exact path. */
export const ROUTES: ReadonlyMap<string, Route> = new Map([
  ['/api/auth/exchange', api('POST', exchange)],
  ['/api/uploader/config', api('GET', uploaderConfig)],
  ['/api/uploader/upload/init', api('POST', initUpload)],
  ['/api/uploader/upload/start', api('POST', startUpload)],
  ['/api/uploader/upload/complete', api('POST', completeUpload)],
  ['/api/uploader/upload/error', api('POST', errorUpload)],
  ['/api/uploader/upload/cancel', api('POST', cancelUpload)],
  ['/api/uploader/manage/submit', api('POST', submitUpload)],
  ['/api/uploader/manage/withdraw', api('POST', withdrawUpload)],
  ['/capture/v1/auth', api('POST', (call, raw) => call.ctx.capture.authenticate(call.req, raw))],
  [
    '/capture/v1/batches',
    {
      method: 'POST',
      handler: (call, raw) => call.ctx.capture.receive(call.req, raw),
      bodyLimit: 16 * MiB,
    },
  ],
]);

/** The route for a path; a trailing slash is forgiven, as Laravel forgives it. */
export function findRoute(path: string): Route | undefined {
  return ROUTES.get(path) ?? (path.length > 1 ? ROUTES.get(path.replace(/\/+$/, '')) : undefined);
}
