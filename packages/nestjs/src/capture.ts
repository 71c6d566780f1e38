/**
 * Traffic capture for audit on Nest (docs/API.md, "Capture"), on the core's recorder and its
 * node-http tee. `AuraCaptureModule.forRoot(options | auraCapture(options))` records every
 * request at the platform's level, before guards run, so a request a guard (`@AuraSigned()`,
 * `@RequireAuraToken()`, the app's own) refuses is captured too:
 *
 * - on Express, as middleware applied to every route (the route template is Express's
 *   `req.route.path`, which holds Nest's full path, global prefix included);
 * - on Fastify, as an `onRequest` hook (the template is `request.routeOptions.url`), which runs
 *   before the body is parsed.
 *
 * `onApplicationShutdown` delivers what is queued (enable `app.enableShutdownHooks()` for
 * signals).
 */
import type { ServerResponse } from 'node:http';
import {
  type AdapterCaptureControls,
  type AdapterCaptureOptions,
  captureNodeHttp,
  createCaptureRecorder,
  withCaptureControls,
} from '@aura/core';
import {
  type DynamicModule,
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type AuraRequest, nodeRequest } from './http';

/** The injection token of the module's capture (`@Inject(AURA_CAPTURE) capture: AuraCapture`). */
export const AURA_CAPTURE = Symbol.for('@aura/nestjs.capture');

/** `auraCapture()`'s options; `user` names the application's user, e.g. `(req) => req.user?.id`. */
export type AuraCaptureOptions = AdapterCaptureOptions<AuraRequest>;

/**
 * Express-style middleware (`app.use(capture)` also works on the Express platform), carrying
 * the capture's controls, and the Fastify hook the module installs on that platform.
 */
export type AuraCapture = ((req: AuraRequest, res: ServerResponse, next: () => void) => void) &
  AdapterCaptureControls & {
    /** Starts recording from Fastify's `onRequest` (the module calls it). */
    fastifyRequest(request: AuraRequest, reply: { raw: ServerResponse }): void;
  };

/** The route template: Express's `req.route.path` under its base, or Fastify's route URL. */
function routeOf(req: AuraRequest): string | null {
  const fastify = (req.routeOptions as { url?: unknown } | undefined)?.url;
  if (typeof fastify === 'string') return fastify;
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (path === undefined) return null;
  return `${typeof req.baseUrl === 'string' ? req.baseUrl : ''}${String(path)}`;
}

/**
 * The capture for `AuraCaptureModule.forRoot(…)`. Options are checked here, at start-up:
 * `AURA_CAPTURE_URL` without `AURA_CAPTURE_KEY` throws a `configuration` error naming it.
 */
export function auraCapture(options: AuraCaptureOptions = {}): AuraCapture {
  const recorder = createCaptureRecorder<AuraRequest>(options);
  const { user } = options;
  const start = (req: AuraRequest, res: ServerResponse) => {
    const raw = nodeRequest(req);
    captureNodeHttp(recorder, raw, res, req, {
      url: raw.originalUrl ?? raw.url,
      // Methods, not arrow properties: nothing per request is a named closure.
      route() {
        return routeOf(req);
      },
      caller() {
        return req.auraCaller ?? undefined;
      },
      user() {
        return user?.(req);
      },
      // Nest's own JSON parser runs before any middleware; with `rawBody: true` it kept the bytes.
      consumedBody() {
        return req.rawBody instanceof Uint8Array ? req.rawBody : undefined;
      },
    });
  };
  const middleware = (req: AuraRequest, res: ServerResponse, next: () => void) => {
    start(req, res);
    next();
  };
  return withCaptureControls(
    Object.assign(middleware, {
      fastifyRequest: (request: AuraRequest, reply: { raw: ServerResponse }) => {
        start(request, reply.raw);
      },
    }),
    recorder,
  );
}

interface FastifyLike {
  addHook(
    name: 'onRequest',
    hook: (request: AuraRequest, reply: { raw: ServerResponse }, done: () => void) => void,
  ): unknown;
}

@Module({})
export class AuraCaptureModule implements NestModule, OnApplicationShutdown {
  /** A global module recording every request of the app; give options or `auraCapture(options)`. */
  static forRoot(capture: AuraCapture | AuraCaptureOptions = {}): DynamicModule {
    const value = typeof capture === 'function' ? capture : auraCapture(capture);
    return {
      module: AuraCaptureModule,
      global: true,
      providers: [{ provide: AURA_CAPTURE, useValue: value }],
      exports: [AURA_CAPTURE],
    };
  }

  constructor(
    @Inject(AURA_CAPTURE) private readonly capture: AuraCapture,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() === 'fastify') {
      const capture = this.capture;
      (adapter.getInstance() as FastifyLike).addHook('onRequest', (request, reply, done) => {
        capture.fastifyRequest(request, reply);
        done();
      });
      return;
    }
    consumer.apply(this.capture).forRoutes('{*path}');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.capture.shutdown();
  }
}
