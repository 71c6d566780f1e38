/**
 * `auraCapture()`: traffic capture for audit as Koa middleware, on the core's recorder and its
 * node-http tee (docs/API.md, "Capture"). Use it first, so it sees every request, including
 * those a later guard or the signature verifier refuses.
 */
import {
  type AdapterCaptureControls,
  type AdapterCaptureOptions,
  captureNodeHttp,
  createCaptureRecorder,
  withCaptureControls,
} from '@aura/core';
import type { Context, Middleware } from 'koa';

/** `auraCapture()`'s options; `user` names the application's user, e.g. `(ctx) => ctx.state.user?.id`. */
export type AuraCaptureOptions = AdapterCaptureOptions<Context>;

/** The middleware, which also carries the capture's controls. */
export type AuraCapture = Middleware & AdapterCaptureControls;

/** The template `@koa/router` matched (`ctx._matchedRoute`, prefix included), or `null`. */
function routeTemplate(ctx: Context): string | null {
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? matched : null;
}

/**
 * Captures every request and response (redacted before queueing) and sends them in batches,
 * off the request path. Options are checked here, at start-up: `AURA_CAPTURE_URL` without
 * `AURA_CAPTURE_KEY` throws a `configuration` error naming the variable.
 */
export function auraCapture(options: AuraCaptureOptions = {}): AuraCapture {
  const recorder = createCaptureRecorder<Context>(options);
  const { user } = options;
  const middleware: Middleware = async function auraCapture(ctx, next) {
    captureNodeHttp(recorder, ctx.req, ctx.res, ctx, {
      url: ctx.originalUrl,
      // Methods, not arrow properties: nothing per request is a named closure.
      route() {
        return routeTemplate(ctx);
      },
      caller() {
        return (ctx.state.auraCaller as typeof ctx.state.auraCaller | undefined) ?? undefined;
      },
      user() {
        return user?.(ctx);
      },
    });
    await next();
  };
  return withCaptureControls(middleware, recorder);
}
