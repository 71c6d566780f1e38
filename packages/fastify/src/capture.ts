/**
 * `auraCapture()`: traffic capture for audit as a Fastify plugin, on the core's recorder and
 * its node-http tee (docs/API.md, "Capture"). Wrapped in `fastify-plugin`, so its `onRequest`
 * hook sees every route of the app (and the 404s), including requests a later hook or the
 * signature verifier refuses; the app's `onClose` delivers what is queued.
 */
import {
  type AdapterCaptureControls,
  type AdapterCaptureOptions,
  captureNodeHttp,
  createCaptureRecorder,
  withCaptureControls,
} from '@aura/core';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** `auraCapture()`'s options; `user` names the application's user, e.g. `(request) => request.user?.id`. */
export type AuraCaptureOptions = AdapterCaptureOptions<FastifyRequest>;

/** The plugin (`await app.register(capture)`), which also carries the capture's controls. */
export type AuraCapture = FastifyPluginAsync & AdapterCaptureControls;

/**
 * Captures every request and response (redacted before queueing) and sends them in batches,
 * off the request path. Options are checked here, at start-up: `AURA_CAPTURE_URL` without
 * `AURA_CAPTURE_KEY` throws a `configuration` error naming the variable.
 */
export function auraCapture(options: AuraCaptureOptions = {}): AuraCapture {
  const recorder = createCaptureRecorder<FastifyRequest>(options);
  const { user } = options;
  const plugin: FastifyPluginAsync = async (app) => {
    app.addHook('onRequest', async (request, reply) => {
      captureNodeHttp(recorder, request.raw, reply.raw, request, {
        url: request.raw.url,
        // Methods, not arrow properties: nothing per request is a named closure.
        route() {
          return request.routeOptions.url ?? null;
        },
        caller() {
          return request.auraCaller ?? undefined;
        },
        user() {
          return user?.(request);
        },
      });
    });
    app.addHook('onClose', async () => {
      await recorder.shutdown();
    });
  };
  return withCaptureControls(
    fp(plugin, { name: '@aura/fastify/capture', fastify: '5.x' }),
    recorder,
  );
}
