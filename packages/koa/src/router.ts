import {
  AuraError,
  type AuraRoutesOptions,
  createAuraRoutes,
  type NeutralResponse,
  type RouteBody,
} from '@aura/core';
import type { DefaultContext, DefaultState, Middleware, ParameterizedContext } from 'koa';
import { type AnyContext, readRawBody, send } from './http';

export interface AuraRouterOptions<Ctx> extends AuraRoutesOptions<Ctx> {
  /** Where the routes live, e.g. `/api/aura` → `POST /api/aura/upload-token`. */
  prefix?: string;
}

/**
 * The core's routes (`POST /upload-token`, `/submit`, `/withdraw`, `/exchange` when exposed)
 * as one Koa middleware. It matches its few POST paths itself rather than pulling in a
 * router; anything else goes on to `next()`.
 */
export function auraRouter<StateT = DefaultState, ContextT = DefaultContext>(
  options: AuraRouterOptions<ParameterizedContext<StateT, ContextT>>,
): Middleware<StateT, ContextT> {
  const prefix = routePrefix(options.prefix);
  const routes = createAuraRoutes({
    // The client auraMiddleware() attached, so that both share one client however it was
    // configured; without that middleware, `client` or the environment.
    getClient: (ctx) => (ctx.state as { aura?: DefaultState['aura'] }).aura,
    ...options,
  });
  const byPath = new Map(routes.map((route) => [prefix + route.path, route]));
  return async function auraRouter(ctx, next) {
    const route = ctx.method === 'POST' ? byPath.get(ctx.path) : undefined;
    if (route === undefined) return next();
    const body = await routeBody(ctx, route.maxBodyBytes);
    send(ctx, 'response' in body ? body.response : await route.handle(ctx, body));
  };
}

/** What a body parser made of the body when one ran, else the bytes (the core parses them). */
async function routeBody(
  ctx: AnyContext,
  limit: number,
): Promise<RouteBody | { response: NeutralResponse }> {
  if (ctx.request.body !== undefined) return { parsed: ctx.request.body };
  const raw = await readRawBody(ctx, limit);
  return raw.ok ? { raw: raw.bytes } : { response: raw.response };
}

function routePrefix(prefix = ''): string {
  if (typeof prefix !== 'string' || (prefix !== '' && !prefix.startsWith('/'))) {
    throw new AuraError(
      'configuration',
      `auraRouter: prefix must start with "/" (got "${prefix}")`,
    );
  }
  return prefix.replace(/\/+$/, '');
}
