// Type-level tests: the request typing and the factories' signatures as a user's code sees them.
import type { AuraClient } from '@aura/core';
import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Router,
} from 'express';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AuraAuthorizeRequest,
  type AuraCaller,
  auraErrorHandler,
  auraMiddleware,
  auraRouter,
  captureRawBody,
  requireAuraToken,
  verifyAuraSignature,
} from '../src/index';

describe('@aura/express types', () => {
  it('declares req.aura and req.auraCaller on every Express request', () => {
    expectTypeOf<Request['aura']>().toEqualTypeOf<AuraClient>();
    expectTypeOf<Request['auraCaller']>().toEqualTypeOf<AuraCaller | undefined>();
    expectTypeOf<AuraCaller>().toEqualTypeOf<{ appId: string }>();
    const app = express();
    app.get('/x', (req, res) => {
      expectTypeOf(req.aura.getUploaderConfig).returns.resolves.toHaveProperty('lift');
      res.end();
    });
  });

  it('answers the middleware types Express expects', () => {
    expectTypeOf(auraMiddleware()).toEqualTypeOf<RequestHandler>();
    expectTypeOf(auraRouter({ allowAnonymous: true })).toEqualTypeOf<Router>();
    expectTypeOf(verifyAuraSignature({ secrets: { a: 'b' } })).toEqualTypeOf<RequestHandler>();
    expectTypeOf(requireAuraToken()).toEqualTypeOf<RequestHandler>();
    expectTypeOf(auraErrorHandler()).toEqualTypeOf<ErrorRequestHandler>();
  });

  it("hands authorize Express's own request, sync or async", () => {
    auraRouter({
      authorize: (req) => {
        expectTypeOf(req).toEqualTypeOf<AuraAuthorizeRequest>();
        expectTypeOf(req).toMatchTypeOf<Request>();
        return req.get('x-user') ?? null;
      },
    });
    auraRouter({ authorize: async () => ({ id: 'u' }), rateLimit: { max: 5 } });
  });

  it('declares req.user on the authorize request, for apps without auth-library types', () => {
    // This project declares `req.user` (test/support/user.ts); the README's
    // `authorize: (req) => req.user ?? null` compiling without it is test/external's job.
    expectTypeOf<AuraAuthorizeRequest>().toHaveProperty('user');
    expectTypeOf<AuraAuthorizeRequest>().toMatchTypeOf<{ user?: unknown }>();
    auraRouter({ authorize: (req) => req.user ?? null });
  });

  it("lets an auth library's own req.user type win", () => {
    // test/support/user.ts declares `req.user` the way Passport does; that type reaches authorize.
    auraRouter({
      authorize: (req) => {
        expectTypeOf(req.user).toEqualTypeOf<{ id: string } | undefined>();
        return req.user?.id ?? null;
      },
    });
  });

  it('fits express.json({ verify }) and refuses options of the wrong shape', () => {
    express.json({ verify: captureRawBody });
    // @ts-expect-error secrets are required
    verifyAuraSignature({});
    // @ts-expect-error secrets map app ids to strings
    verifyAuraSignature({ secrets: { a: 1 } });
    // @ts-expect-error rateLimit.max is a number
    auraRouter({ allowAnonymous: true, rateLimit: { max: '10' } });
    // @ts-expect-error an unknown option
    auraMiddleware({ clinet: {} });
  });
});
