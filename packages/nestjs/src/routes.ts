/**
 * The core's routes (upload-token, submit, withdraw, opt-in exchange) as a Nest controller, so
 * the app's global guards (e.g. the one that sets `req.user`), pipes and interceptors apply as
 * to any route of the app. Each registration gets its own controller class, whose paths are set
 * from the options when they are resolved at start-up (`forRootAsync` included), before Nest
 * maps the app's routes.
 */
import type { IncomingMessage } from 'node:http';
import {
  type AuraClient,
  type AuraRoute,
  type AuraRoutePath,
  type AuraRoutesOptions,
  createAuraRoutes,
  errorResponse,
  type NeutralResponse,
  type RouteBody,
  readBodyLimited,
} from '@aura/core';
import {
  type CallHandler,
  Controller,
  type ExecutionContext,
  HttpCode,
  Inject,
  Injectable,
  type NestInterceptor,
  Post,
  Req,
  type Type,
  UseInterceptors,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { map, type Observable } from 'rxjs';
import { type AuraRequest, nodeRequest, refusal, setHeaders } from './http';

/** `forRoot({ routes })`: the core's route options, under `prefix` (default: the app's root). */
export type AuraModuleRoutes = Omit<AuraRoutesOptions<AuraRequest>, 'client' | 'getClient'> & {
  prefix?: string;
};

export const AURA_ROUTES = Symbol.for('@aura/nestjs.routes');

export interface MountedRoutes {
  /** Each route's path under the prefix, e.g. `/api/aura/upload-token`. */
  paths: string[];
  handle(path: AuraRoutePath, req: AuraRequest): Promise<NeutralResponse>;
}

/** Answers 200 with the core's body and headers; any other answer as the core's refusal. */
@Injectable()
export class AuraRouteInterceptor implements NestInterceptor {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  intercept(context: ExecutionContext, next: CallHandler<NeutralResponse>): Observable<unknown> {
    return next.handle().pipe(
      map((answer) => {
        if (answer.status !== 200) throw refusal(this.adapterHost, context, answer);
        setHeaders(this.adapterHost, context.switchToHttp().getResponse(), answer.headers);
        return answer.body;
      }),
    );
  }
}

const HANDLERS = {
  '/upload-token': 'uploadToken',
  '/submit': 'submit',
  '/withdraw': 'withdraw',
  '/exchange': 'exchange',
} as const;

export function routesController(): Type {
  @Controller()
  @UseInterceptors(AuraRouteInterceptor)
  class AuraRoutesController {
    constructor(@Inject(AURA_ROUTES) private readonly routes: MountedRoutes) {}
    uploadToken(@Req() req: AuraRequest) {
      return this.routes.handle('/upload-token', req);
    }
    submit(@Req() req: AuraRequest) {
      return this.routes.handle('/submit', req);
    }
    withdraw(@Req() req: AuraRequest) {
      return this.routes.handle('/withdraw', req);
    }
    exchange(@Req() req: AuraRequest) {
      return this.routes.handle('/exchange', req);
    }
  }
  return AuraRoutesController;
}

/** The body as the core takes it: the bytes Nest kept or nobody read, else what Nest parsed. */
async function routeBody(req: AuraRequest, limit: number): Promise<RouteBody | NeutralResponse> {
  if (req.rawBody instanceof Uint8Array) return { raw: req.rawBody };
  const raw: IncomingMessage = nodeRequest(req);
  if (raw.readableEnded) return { parsed: req.body };
  const read = await readBodyLimited(raw, limit, raw.headers['content-length']);
  return read.ok ? { raw: read.bytes } : read.response;
}

/** Creates the core's routes (their options checked now) and maps them on `controller`. */
export function mountRoutes(
  controller: Type,
  options: AuraModuleRoutes | undefined,
  client: AuraClient,
): MountedRoutes {
  const { prefix = '', ...routeOptions } = options ?? {};
  const routes = options ? createAuraRoutes<AuraRequest>({ ...routeOptions, client }) : [];
  Controller(prefix)(controller);
  for (const route of routes) {
    const key = HANDLERS[route.path];
    const descriptor = Object.getOwnPropertyDescriptor(controller.prototype, key);
    if (descriptor === undefined) continue;
    Post(route.path)(controller.prototype, key, descriptor);
    // Nest answers a POST with 201 by default; every adapter's routes answer 200.
    HttpCode(200)(controller.prototype, key, descriptor);
  }
  const base = `/${prefix}`.replace(/\/+$/, '').replace(/^\/+/, '/');
  const byPath = new Map<string, AuraRoute<AuraRequest>>(routes.map((r) => [r.path, r]));
  return {
    paths: routes.map((r) => `${base === '/' ? '' : base}${r.path}`),
    async handle(path, req) {
      const route = byPath.get(path);
      if (route === undefined) return errorResponse(404, 'not_found', 'no such route');
      const body = await routeBody(req, route.maxBodyBytes);
      return 'status' in body ? body : route.handle(req, body);
    },
  };
}

/** Nest's body parsers refuse bad JSON or a large body before routing: the core's answer. */
export function bodyParserError(error: unknown): NeutralResponse | undefined {
  const failure = error as { type?: string; code?: string; status?: number; statusCode?: number };
  if (error instanceof SyntaxError && (failure.status ?? failure.statusCode) === 400) {
    return errorResponse(400, 'invalid_json', 'the request body is not valid JSON');
  }
  if (failure.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return errorResponse(400, 'invalid_json', 'the request body is not valid JSON');
  }
  if (failure.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return errorResponse(400, 'invalid_json', 'the request body is empty, not JSON');
  }
  if (failure.type === 'entity.too.large' || failure.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return errorResponse(413, 'body_too_large', 'the request body is larger than accepted');
  }
  return undefined;
}
