/** `app.route('/api/aura', auraRoutes({ authorize }))`: the core's routes as a Hono sub-app. */
import {
  type AuraRoutesOptions as CoreRoutesOptions,
  createAuraRoutes,
  type RouteBody,
} from '@aura/core';
import { type Context, type Env, Hono } from 'hono';
import { type AuraClientSourceOptions, bindingsClient, readRawBody, send } from './request';
import type { AuraVariables } from './types';

// biome-ignore lint/suspicious/noExplicitAny: Hono's own default, see auraRoutes
export interface AuraRoutesOptions<E extends Env = any>
  extends Omit<CoreRoutesOptions<Context<E>>, 'getClient'>,
    AuraClientSourceOptions {}

/** The body as the core wants it: bytes as received, or text when a validator already read it. */
async function routeBody(c: Context, limit: number) {
  const { bodyCache } = c.req;
  if (bodyCache.arrayBuffer === undefined && Object.keys(bodyCache).length > 0) {
    return { raw: await c.req.text() } satisfies RouteBody;
  }
  const read = await readRawBody(c, limit);
  return read.ok ? ({ raw: read.bytes } satisfies RouteBody) : read;
}

/**
 * `POST /upload-token`, `/submit`, `/withdraw` (and `/exchange` with `exposeExchange`). `E` is
 * your app's env, so that `authorize: (c) => c.get('user')` is typed; left out, `c` is loose.
 * The client: `options.client`, else the one `auraMiddleware()` attached, else the environment.
 */
// biome-ignore lint/suspicious/noExplicitAny: like Hono's own `Context<any>`, so that `c.get('user')` compiles without the app's env
export function auraRoutes<E extends Env = any>(options: AuraRoutesOptions<E>): Hono<E> {
  const { env, ...routeOptions } = options;
  const fromBindings = bindingsClient(options);
  const routes = createAuraRoutes<Context<E>>({
    ...routeOptions,
    ...(options.client === undefined && {
      getClient: (c: Context) => (c.var as Partial<AuraVariables>).aura ?? fromBindings?.(c),
    }),
  });
  const app = new Hono<E>();
  for (const route of routes) {
    app.post(route.path, async (c) => {
      const body = await routeBody(c, route.maxBodyBytes);
      return send(c, 'response' in body ? body.response : await route.handle(c, body));
    });
  }
  return app;
}
