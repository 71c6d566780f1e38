// The adapters' conformance suite (packages/test-kit), run on Koa 3 and on Koa 2 with the app
// built from the package's public API in the shape of the README block.
import { createRequire } from 'node:module';
import { type Mount, PATHS, runAuraConformance, USER_HEADER } from '@aura/test-kit';
import Router from '@koa/router';
import { describe, expect, it } from 'vitest';
import {
  auraErrors,
  auraMiddleware,
  auraRouter,
  requireAuraToken,
  verifyAuraSignature,
} from '../src/index';
import { KOA_MAJORS, listen, parseAndForget } from './support';

function mountOn(Koa: (typeof KOA_MAJORS)[number][1]): Mount {
  return async (setup) => {
    const app = new Koa();
    app.silent = true; // the suite provokes 5xx on purpose; keep its log quiet
    if (setup.variant === 'body-consumed') app.use(parseAndForget);
    app.use(auraErrors());
    app.use(auraMiddleware(setup.client === undefined ? {} : { client: setup.client }));
    app.use(
      auraRouter({
        ...setup.routes,
        prefix: PATHS.routes,
        authorize: (ctx) => setup.userFrom(ctx.headers[USER_HEADER]),
      }),
    );
    const router = new Router();
    router.post(PATHS.hook, verifyAuraSignature(setup.verify), (ctx) => {
      ctx.body = { from: ctx.state.auraCaller.appId, got: ctx.request.body };
    });
    router.get(PATHS.config, requireAuraToken(), async (ctx) => {
      ctx.body = await ctx.state.aura.getUploaderConfig();
    });
    app.use(router.routes());
    return listen(app);
  };
}

for (const [name, Koa] of KOA_MAJORS) {
  runAuraConformance({ name: name.toLowerCase(), mount: mountOn(Koa) });
}

describe('the majors the suite ran on', () => {
  it('are Koa 3 and Koa 2, as the peer range claims', () => {
    const require = createRequire(import.meta.url);
    expect(require('koa/package.json').version).toMatch(/^3\./);
    expect(require('koa2/package.json').version).toMatch(/^2\.(1[6-9]|[2-9]\d)\./);
  });
});
