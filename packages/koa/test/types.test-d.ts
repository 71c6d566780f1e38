// Type-level tests: what the package declares on Koa's DefaultState and Request, seen from a
// plain Koa app and from @koa/router, and what its factories accept. Run by vitest's typecheck.
import type { AuraClient, InboundVerifierOptions } from '@aura/core';
import Router from '@koa/router';
import Koa from 'koa';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AuraCaller,
  auraErrors,
  auraMiddleware,
  auraRouter,
  requireAuraToken,
  verifyAuraSignature,
} from '../src/index';

describe('ctx.state and ctx.request typing', () => {
  it('puts aura and auraCaller on every Koa context', () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      expectTypeOf(ctx.state.aura).toEqualTypeOf<AuraClient>();
      expectTypeOf(ctx.state.auraCaller).toEqualTypeOf<AuraCaller>();
      expectTypeOf(ctx.state.auraCaller.appId).toEqualTypeOf<string>();
      expectTypeOf(ctx.request.body).toEqualTypeOf<unknown>();
      await next();
    });
  });

  it('and on @koa/router contexts', () => {
    const router = new Router();
    router.get('/uploads/config', requireAuraToken(), async (ctx) => {
      expectTypeOf(ctx.state.aura.getUploaderConfig).returns.resolves.toHaveProperty('lift');
      ctx.body = await ctx.state.aura.getUploaderConfig();
    });
  });

  it('leaves the rest of the state to the app (Koa declares it open)', () => {
    new Koa().use((ctx) => {
      expectTypeOf(ctx.state.user).toBeAny();
    });
  });

  it('keeps a typed state of the app own', () => {
    interface Session {
      user: { id: string } | null;
    }
    const app = new Koa<Session>();
    app.use(
      auraRouter<Session>({
        authorize: (ctx) => {
          expectTypeOf(ctx.state.user).toEqualTypeOf<{ id: string } | null>();
          return ctx.state.user;
        },
      }),
    );
  });
});

describe('factories', () => {
  it('are Koa middleware', () => {
    expectTypeOf(auraErrors()).toExtend<Koa.Middleware>();
    expectTypeOf(auraMiddleware()).toExtend<Koa.Middleware>();
    expectTypeOf(requireAuraToken()).toExtend<Koa.Middleware>();
    expectTypeOf(verifyAuraSignature({ secrets: {} })).toExtend<Koa.Middleware>();
    expectTypeOf(auraRouter({ allowAnonymous: true })).toExtend<Koa.Middleware>();
  });

  it('verifyAuraSignature takes the core options: a map or a lookup, sync or async', () => {
    expectTypeOf(verifyAuraSignature).parameter(0).toEqualTypeOf<InboundVerifierOptions>();
    verifyAuraSignature({ secrets: (appId) => (appId === 'a' ? 's' : undefined) });
    verifyAuraSignature({ secrets: async () => 's', only: ['a'], failureStatus: 403 });
    // @ts-expect-error secrets is required
    verifyAuraSignature({});
  });

  it('auraRouter hands authorize the Koa context', () => {
    auraRouter({
      prefix: '/api/aura',
      authorize: (ctx) => {
        expectTypeOf(ctx).toExtend<Koa.ParameterizedContext>();
        return ctx.state.user ?? null;
      },
    });
    // @ts-expect-error prefix is a string
    auraRouter({ prefix: 1, allowAnonymous: true });
  });
});
