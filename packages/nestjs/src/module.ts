/**
 * `AuraModule.forRoot(options)` / `forRootAsync(…)`: one `AuraClient` for the app (a singleton,
 * resolved at start-up, so a missing `AURA_*` variable stops the app with the core's message),
 * and, with `routes`, the core's routes (upload-token, submit, withdraw, opt-in exchange) as a
 * controller of the app, so that its global guards (the one setting `req.user`), pipes and
 * interceptors apply to them as to any route.
 */
import {
  AuraClient,
  type AuraClientSource,
  type AuraEnv,
  type AuraRoute,
  type AuraRoutesOptions,
  createAuraRoutes,
  errorResponse,
  type NeutralResponse,
  resolveAuraClient,
} from '@aura/core';
import {
  type CallHandler,
  ConfigurableModuleBuilder,
  Controller,
  type DynamicModule,
  type ExecutionContext,
  HttpCode,
  Inject,
  Injectable,
  Module,
  type NestInterceptor,
  type NestModule,
  Optional,
  Post,
  Req,
  type Type,
  UseInterceptors,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { map } from 'rxjs';
import { type AuraRequest, bodyBytes, refusal, reply, setHeaders } from './http';

/** `routes`: the core's route options, under `prefix` (default: the app's root). */
export type AuraModuleRoutes = Omit<AuraRoutesOptions<AuraRequest>, 'client' | 'getClient'> & {
  prefix?: string;
};

export interface AuraModuleOptions {
  /** An `AuraClient`, options for one, or nothing: the `AURA_*` environment (default). */
  client?: AuraClientSource;
  /** The environment to read when no client is given (default `process.env`). */
  env?: AuraEnv;
  /** Mount the routes under `routes.prefix`. */
  routes?: AuraModuleRoutes;
}

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<AuraModuleOptions>({ moduleName: 'Aura' })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: false }, (module, { isGlobal }) => ({ ...module, global: isGlobal }))
    .build();

/** The token of the module's resolved options. */
export const AURA_MODULE_OPTIONS = MODULE_OPTIONS_TOKEN;
export type AuraModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
const AURA_ROUTES = Symbol.for('@aura/nestjs.routes');

/** Answers 200 with the core's body and headers, anything else as the core's refusal. */
@Injectable()
class AuraRouteInterceptor implements NestInterceptor {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  intercept(context: ExecutionContext, next: CallHandler<NeutralResponse>) {
    return next.handle().pipe(
      map((answer) => {
        if (answer.status !== 200) throw refusal(this.adapterHost, context, answer);
        setHeaders(this.adapterHost, context.switchToHttp().getResponse(), answer.headers);
        return answer.body;
      }),
    );
  }
}

interface MountedRoutes {
  routes: AuraRoute<AuraRequest>[];
  /** Each route's path under the prefix, e.g. `/api/aura/upload-token`. */
  paths: string[];
}

/**
 * A class per registration, given a handler per route once its options are known
 * (`mountRoutes`). The handlers read the routes of the app they serve from the instance, so one
 * definition serves every app built from it (a test suite's apps, each with its own client).
 */
function routesController(): Type {
  @Controller()
  @UseInterceptors(AuraRouteInterceptor)
  class AuraRoutesController {
    constructor(@Inject(AURA_ROUTES) readonly mounted: MountedRoutes) {}
  }
  return AuraRoutesController;
}

/**
 * Creates the core's routes (options checked now: a bad one stops the start-up) and adds each
 * as a `@Post(path) @HttpCode(200)` handler of `controller`, under `@Controller(prefix)`. Runs
 * while Nest builds the providers, before it maps the app's routes.
 */
function mountRoutes(
  controller: Type,
  options: AuraModuleRoutes | undefined,
  client: AuraClient,
): MountedRoutes {
  const { prefix = '', ...routeOptions } = options ?? {};
  const routes = options ? createAuraRoutes<AuraRequest>({ ...routeOptions, client }) : [];
  const proto = controller.prototype;
  Controller(prefix)(controller);
  for (const { path } of routes) {
    async function handle(this: { mounted: MountedRoutes }, req: AuraRequest) {
      const route = this.mounted.routes.find((r) => r.path === path);
      // Another app built from this definition mounted it, with other options.
      if (route === undefined) return errorResponse(404, 'not_found', `no route ${path}`);
      // The bytes Nest kept or nobody read, else what Nest's parser made of them.
      const read = await bodyBytes(req, route.maxBodyBytes);
      if (read === undefined) return route.handle(req, { parsed: req.body });
      return read.ok ? route.handle(req, { raw: read.bytes }) : read.response;
    }
    Object.defineProperty(proto, path, { value: handle, configurable: true });
    const descriptor = Object.getOwnPropertyDescriptor(proto, path) as PropertyDescriptor;
    Req()(proto, path, 0);
    Post(path)(proto, path, descriptor);
    // Nest answers a POST with 201 by default; every adapter's routes answer 200.
    HttpCode(200)(proto, path, descriptor);
  }
  const base = `/${prefix}`.replace(/\/+/g, '/').replace(/\/$/, '');
  return { routes, paths: routes.map((route) => base + route.path) };
}

const INVALID_JSON = ['FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY'];

/** Bad JSON or a large body, as refused by Nest's body parsers (Express's or Fastify's). */
function bodyParserError(error: unknown): NeutralResponse | undefined {
  const e = error as { type?: string; code?: string; status?: number; statusCode?: number };
  const syntax = error instanceof SyntaxError && (e.status ?? e.statusCode) === 400;
  if (syntax || INVALID_JSON.includes(e.code ?? '')) {
    return errorResponse(400, 'invalid_json', 'the request body is not valid JSON');
  }
  if (e.type === 'entity.too.large' || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return errorResponse(413, 'body_too_large', 'the request body is larger than accepted');
  }
}

function withAura(definition: DynamicModule, routes: boolean): DynamicModule {
  const controller = routesController();
  const client = {
    provide: AuraClient,
    inject: [MODULE_OPTIONS_TOKEN],
    useFactory: (options: AuraModuleOptions) => resolveAuraClient(options.client, options.env),
  };
  const mounted = {
    provide: AURA_ROUTES,
    inject: [MODULE_OPTIONS_TOKEN, AuraClient],
    useFactory: (options: AuraModuleOptions, aura: AuraClient) =>
      mountRoutes(controller, options.routes, aura),
  };
  return {
    ...definition,
    providers: [...(definition.providers ?? []), client, ...(routes ? [mounted] : [])],
    controllers: routes ? [controller] : [],
    exports: [AuraClient],
  };
}

// Only what the hooks touch, so that Express and Fastify stay optional peers.
type Next = (error?: unknown) => void;
type ErrorHandler = (
  error: unknown,
  request: { server: { errorHandler: ErrorHandler } },
  reply: unknown,
) => void;

@Module({})
export class AuraModule extends ConfigurableModuleClass implements NestModule {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(AURA_ROUTES) private readonly mounted?: MountedRoutes,
  ) {
    super();
  }

  // `super` (not the base's name) so that the definition's `module` is AuraModule itself.
  static forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: see above
    return withAura(super.forRoot(options), options.routes !== undefined);
  }

  static forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: see above
    return withAura(super.forRootAsync(options), true);
  }

  /**
   * Nest's body parsers run before routing and refuse bad JSON or a large body in Nest's own
   * shape; for this module's routes the core's answer is given instead, as in every adapter.
   * Under a global prefix or a RouterModule path, a route's path ends with its own.
   */
  configure(): void {
    const { adapterHost } = this;
    const adapter = adapterHost.httpAdapter;
    const paths = this.mounted?.paths ?? [];
    const ours = (path: string) => paths.some((p) => path === p || path.endsWith(p));
    if (adapter?.getType() === 'express' && paths.length > 0) {
      // An error middleware right after Nest's parsers, before any route.
      adapter.use((error: unknown, req: { path: string }, res: unknown, next: Next) => {
        const refused = ours(req.path) ? bodyParserError(error) : undefined;
        if (refused === undefined) next(error);
        else reply(adapterHost, res, refused);
      });
    } else if (adapter?.getType() === 'fastify' && paths.length > 0) {
      // Fastify routes before it parses: these routes get an error handler of their own, which
      // hands anything else to the app's (Nest's) as before.
      adapter
        .getInstance()
        .addHook('onRoute', (route: { url: string; errorHandler?: ErrorHandler }) => {
          if (!ours(route.url)) return;
          route.errorHandler = (error, request, res) => {
            const refused = bodyParserError(error);
            if (refused === undefined) request.server.errorHandler(error, request, res);
            else reply(adapterHost, res, refused);
          };
        });
    }
  }
}
