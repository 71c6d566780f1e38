/**
 * `AuraModule.forRoot(options)` / `forRootAsync(…)`: one `AuraClient` for the app (a singleton,
 * resolved at start-up, so a missing `AURA_*` variable stops the app with the core's message),
 * and the core's routes when `routes` is given.
 */
import { AuraClient, type AuraClientSource, type AuraEnv, resolveAuraClient } from '@aura/core';
import {
  ConfigurableModuleBuilder,
  type DynamicModule,
  Inject,
  Module,
  type NestModule,
  Optional,
  type Provider,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { reply } from './http';
import {
  AURA_ROUTES,
  type AuraModuleRoutes,
  bodyParserError,
  type MountedRoutes,
  mountRoutes,
  routesController,
} from './routes';

export interface AuraModuleOptions {
  /** An `AuraClient`, options for one, or nothing: the `AURA_*` environment (default). */
  client?: AuraClientSource;
  /** The environment to read when no client is given (default `process.env`). */
  env?: AuraEnv;
  /** Mount the routes (upload-token, submit, withdraw, opt-in exchange) under `prefix`. */
  routes?: AuraModuleRoutes;
}

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<AuraModuleOptions>({ moduleName: 'Aura' })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: false }, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
    }))
    .build();

/** The token of the module's resolved options. */
export const AURA_MODULE_OPTIONS = MODULE_OPTIONS_TOKEN;
export type AuraModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;

function withAura(definition: DynamicModule, routes: boolean): DynamicModule {
  const providers: Provider[] = [
    ...(definition.providers ?? []),
    {
      provide: AuraClient,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (options: AuraModuleOptions) => resolveAuraClient(options.client, options.env),
    },
  ];
  const controllers: Type[] = [];
  if (routes) {
    const controller = routesController();
    controllers.push(controller);
    providers.push({
      provide: AURA_ROUTES,
      inject: [MODULE_OPTIONS_TOKEN, AuraClient],
      useFactory: (options: AuraModuleOptions, client: AuraClient) =>
        mountRoutes(controller, options.routes, client),
    });
  }
  return { ...definition, providers, controllers, exports: [AuraClient] };
}

type Next = (error?: unknown) => void;
// Only what the hook touches, so that Fastify stays an optional peer.
type ErrorHandler = (error: unknown, request: { server: FastifyApp }, reply: unknown) => void;
interface FastifyApp {
  errorHandler: ErrorHandler;
}
interface FastifyRoute {
  url: string;
  errorHandler?: ErrorHandler;
}

@Module({})
export class AuraModule extends ConfigurableModuleClass implements NestModule {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(AURA_ROUTES) private readonly routes?: MountedRoutes,
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
   * Nest's body parsers run before routing and refuse bad JSON or a large body with Nest's own
   * error shape; for this module's routes the core's answer is given instead, as elsewhere.
   */
  configure(): void {
    const paths = this.routes?.paths ?? [];
    const adapter = this.adapterHost.httpAdapter;
    if (paths.length === 0 || adapter === undefined) return;
    // Under a global prefix or a RouterModule path, the route ends with its own path.
    const ours = (path: string) => paths.some((p) => path === p || path.endsWith(p));
    const answer = (error: unknown, path: string) =>
      ours(path) ? bodyParserError(error) : undefined;
    const host = this.adapterHost;
    if (adapter.getType() === 'express') {
      // An error middleware right after Nest's parsers, before any route.
      adapter.use((error: unknown, req: { path: string }, res: unknown, next: Next) => {
        const refused = answer(error, req.path);
        if (refused === undefined) return next(error);
        reply(host, res, refused);
      });
    } else if (adapter.getType() === 'fastify') {
      // Fastify routes before it parses: these routes get an error handler of their own.
      adapter.getInstance().addHook('onRoute', (route: FastifyRoute) => {
        if (!ours(route.url)) return;
        route.errorHandler = (error, request, res) => {
          const refused = answer(error, route.url);
          // Anything else goes to the app's own error handler (Nest's), as without this.
          if (refused === undefined) return request.server.errorHandler(error, request, res);
          reply(host, res, refused);
        };
      });
    }
  }
}
