/**
 * `auraCapture()`: traffic capture for audit as Express middleware, on the core's recorder and
 * its node-http tee (docs/API.md, "Capture"). Mount it first, so it sees every request,
 * including those a later guard or the signature verifier refuses.
 */
import {
  type AdapterCaptureControls,
  type AdapterCaptureOptions,
  captureNodeHttp,
  createCaptureRecorder,
  withCaptureControls,
} from '@aura/core';
import type { Request, RequestHandler } from 'express';

/** `auraCapture()`'s options; `user` names the application's user, e.g. `(req) => req.user?.id`. */
export type AuraCaptureOptions = AdapterCaptureOptions<Request>;

/** The middleware, which also carries the capture's controls. */
export type AuraCapture = RequestHandler & AdapterCaptureControls;

/** `req.baseUrl + req.route.path`: the template of the route that answered, or `null`. */
function routeTemplate(req: Request): string | null {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (path === undefined) return null;
  return `${req.baseUrl ?? ''}${typeof path === 'string' ? path : String(path)}`;
}

/**
 * Captures every request and response (redacted before queueing) and sends them in batches,
 * off the request path. Options are checked here, at start-up: `AURA_CAPTURE_URL` without
 * `AURA_CAPTURE_KEY` throws a `configuration` error naming the variable.
 */
export function auraCapture(options: AuraCaptureOptions = {}): AuraCapture {
  const recorder = createCaptureRecorder<Request>(options);
  const { user } = options;
  const middleware: RequestHandler = (req, res, next) => {
    captureNodeHttp(recorder, req, res, req, {
      url: req.originalUrl,
      // Methods, not arrow properties: nothing per request is a named closure.
      route() {
        return routeTemplate(req);
      },
      caller() {
        return req.auraCaller ?? undefined;
      },
      user() {
        return user?.(req);
      },
    });
    next();
  };
  return withCaptureControls(middleware, recorder);
}
