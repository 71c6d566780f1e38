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
import { CAPTURE_LIMITS } from './capture';
import type { Call } from './context';
import { ok, type Reply } from './http';

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
      bodyLimit: CAPTURE_LIMITS.batchBytes,
    },
  ],
  ['/api', api('GET', (call) => apiIndex(call))],
]);

/** The controls, for the index at `GET /api`. */
const CONTROLS: { method: string; path: string }[] = [
  { method: 'GET', path: '/_sandbox/health' },
  { method: 'POST', path: '/_sandbox/reset' },
  { method: 'GET, DELETE', path: '/_sandbox/requests' },
  { method: 'GET, POST, DELETE', path: '/_sandbox/faults' },
  { method: 'GET, DELETE', path: '/_sandbox/captured' },
  { method: 'GET', path: '/_sandbox/uploads' },
  { method: 'GET', path: '/_sandbox/uploads/:uploadId' },
];

/**
 * `GET /api`, the "API base URL" the banner prints: what a person opening it in a browser needs
 * to find their way, rather than a 404.
 */
function apiIndex(call: Call): Reply {
  const endpoints = [...ROUTES]
    .filter(([path]) => path !== '/api')
    .map(([path, route]) => ({ method: route.method, path }));
  return ok({
    name: 'Aura sandbox',
    apiUrl: `${call.ctx.origin}/api`,
    endpoints,
    tus: `${call.ctx.origin}${call.ctx.tusPath}/`,
    controls: CONTROLS,
  });
}

/** The route for a path; a trailing slash is forgiven, as Laravel forgives it. */
export function findRoute(path: string): Route | undefined {
  return ROUTES.get(path) ?? (path.length > 1 ? ROUTES.get(path.replace(/\/+$/, '')) : undefined);
}
