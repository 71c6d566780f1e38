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
        expectTypeOf(req).toEqualTypeOf<Request>();
        return req.get('x-user') ?? null;
      },
    });
    auraRouter({ authorize: async () => ({ id: 'u' }), rateLimit: { max: 5 } });
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
