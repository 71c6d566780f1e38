// Type-level tests: what each middleware declares on Hono's typed `Variables` env (no global
// ContextVariableMap), what the factories accept, and that the pieces fit Hono's own signatures.
import type { AuraClient } from '@aura/core';
import { Hono } from 'hono';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AuraBindings,
  type AuraCaller,
  type AuraEnv,
  auraErrorHandler,
  auraMiddleware,
  auraRoutes,
  requireAuraToken,
  verifyAuraSignature,
} from '../src/index';

const secrets = { 'billing-worker': 'secret' };

describe('c.var typing', () => {
  it('types c.var.aura after requireAuraToken() and auraMiddleware() on the route', () => {
    const app = new Hono();
    app.get('/a', requireAuraToken(), (c) => {
      expectTypeOf(c.var.aura).toEqualTypeOf<AuraClient>();
      return c.text('ok');
    });
    app.get('/b', auraMiddleware(), (c) => {
      expectTypeOf(c.get('aura')).toEqualTypeOf<AuraClient>();
      return c.text('ok');
    });
  });

  it('types c.var.auraCaller after verifyAuraSignature()', () => {
    const app = new Hono();
    app.post('/hooks/aura', verifyAuraSignature({ secrets }), (c) => {
      expectTypeOf(c.var.auraCaller).toEqualTypeOf<AuraCaller>();
      expectTypeOf(c.var.auraCaller.appId).toEqualTypeOf<string>();
      return c.text('ok');
    });
  });

  it('declares nothing globally: a route without the middleware has no c.var.aura', () => {
    const app = new Hono();
    app.get('/plain', (c) => {
      // @ts-expect-error aura is declared by the middlewares' env, not on every context
      c.var.aura;
      return c.text('ok');
    });
  });

  it('types the whole app with AuraEnv, and Worker bindings with AuraBindings', () => {
    const app = new Hono<AuraEnv & { Bindings: AuraBindings }>();
    app.get('/x', (c) => {
      expectTypeOf(c.var.aura).toEqualTypeOf<AuraClient>();
      expectTypeOf(c.var.auraCaller).toEqualTypeOf<AuraCaller>();
      expectTypeOf(c.env.AURA_BASE_URL).toEqualTypeOf<string | undefined>();
      return c.text('ok');
    });
    app.onError(auraErrorHandler);
  });
});

describe('the factories', () => {
  it('auraRoutes: c is loose by default, typed with the app env', () => {
    const loose = new Hono();
    loose.route('/api/aura', auraRoutes({ authorize: (c) => c.get('user') ?? null }));

    type AppEnv = { Variables: { user: { id: string } | undefined } };
    const app = new Hono<AppEnv>();
    app.route(
      '/api/aura',
      auraRoutes<AppEnv>({
        authorize: (c) => {
          expectTypeOf(c.get('user')).toEqualTypeOf<{ id: string } | undefined>();
          return c.get('user') ?? null;
        },
        rateLimit: { max: 5, windowMs: 60_000 },
        exposeExchange: true,
      }),
    );
    expectTypeOf(auraRoutes<AppEnv>).returns.toEqualTypeOf<Hono<AppEnv>>();
  });

  it('verifyAuraSignature: secrets required; a map or an async lookup', () => {
    // @ts-expect-error secrets is required
    verifyAuraSignature({});
    verifyAuraSignature({ secrets: async (appId: string) => (appId === 'x' ? 's' : undefined) });
    verifyAuraSignature({
      secrets,
      only: ['billing-worker'],
      maxBodyBytes: 1024,
      failureStatus: 403,
    });
  });

  it('auraMiddleware: a client, its options, or a per-request environment', () => {
    auraMiddleware();
    auraMiddleware({ env: (c) => c.env });
    auraMiddleware({
      client: { baseUrl: 'http://127.0.0.1/api', appId: 'a', appSecret: 's', apiKey: 'k' },
    });
    // @ts-expect-error not a client source
    auraMiddleware({ client: 'aura' });
  });
});
