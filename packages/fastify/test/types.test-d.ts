// Type-level tests: what importing @aura/fastify declares on Fastify's types, and that each
// export fits the Fastify API it is made for. Checked by `tsc` through vitest's typecheck mode.
import type { AuraClient, AuraClientOptions, NeutralResponse } from '@aura/core';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type preHandlerAsyncHookHandler,
  type preHandlerHookHandler,
} from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AuraCaller,
  type AuraRoutesPluginOptions,
  auraErrorHandler,
  auraPlugin,
  auraRoutes,
  requireAuraToken,
  verifyAuraSignature,
} from '../src/index';

declare const app: FastifyInstance;
declare const request: FastifyRequest;
const secrets = { 'billing-worker': 'secret' };

describe('declare module "fastify"', () => {
  it('types request.aura, app.aura and request.auraCaller', () => {
    expectTypeOf(request.aura).toEqualTypeOf<AuraClient>();
    expectTypeOf(app.aura).toEqualTypeOf<AuraClient>();
    expectTypeOf(request.auraCaller).toEqualTypeOf<AuraCaller>();
    expectTypeOf(request.auraCaller.appId).toEqualTypeOf<string>();
  });

  it('claims only its own names: no request.user or request.auth', () => {
    // @ts-expect-error: `user` belongs to the app's auth plugin, never to this package
    request.user;
    // @ts-expect-error: `auth` likewise
    request.auth;
  });
});

describe('auraPlugin', () => {
  it('registers with no options, a client, client options or an environment', async () => {
    const fastify = Fastify();
    await fastify.register(auraPlugin);
    await fastify.register(auraPlugin, { client: {} as AuraClient });
    await fastify.register(auraPlugin, { client: {} as AuraClientOptions });
    await fastify.register(auraPlugin, { env: { AURA_BASE_URL: 'http://127.0.0.1:4010/api' } });
    // @ts-expect-error: not an option
    await fastify.register(auraPlugin, { clientId: 'x' });
  });
});

describe('auraRoutes', () => {
  it('takes prefix with the routes options; authorize gets the Fastify request', async () => {
    await app.register(auraRoutes, {
      prefix: '/api/aura',
      authorize: (req) => {
        expectTypeOf(req).toMatchTypeOf<FastifyRequest>();
        expectTypeOf(req.user).toEqualTypeOf<unknown>();
        return req.user ?? null;
      },
      rateLimit: { max: 5, windowMs: 1000 },
      exposeExchange: true,
    });
    await app.register(auraRoutes, { allowAnonymous: true, authorize: async () => ({ id: 1 }) });
    // @ts-expect-error: rateLimit.max is a number
    await app.register(auraRoutes, { authorize: () => null, rateLimit: { max: '5' } });
  });

  it('lets an auth plugin’s own request.user type win', () => {
    type WithUser = FastifyRequest & { user: { id: string; roles: string[] } };
    const options: AuraRoutesPluginOptions = {
      authorize: (req) => (req as WithUser).user,
    };
    expectTypeOf(options.authorize).toEqualTypeOf<AuraRoutesPluginOptions['authorize']>();
  });
});

describe('preHandlers and the error handler', () => {
  it('are Fastify preHandlers, alone or in a list', () => {
    expectTypeOf(verifyAuraSignature({ secrets })).toEqualTypeOf<preHandlerAsyncHookHandler>();
    // Callback style: on a warm cache it calls `done()` at once, without a promise.
    expectTypeOf(requireAuraToken()).toEqualTypeOf<preHandlerHookHandler>();
    app.post(
      '/a',
      { preHandler: verifyAuraSignature({ secrets, only: ['billing-worker'] }) },
      () => 1,
    );
    app.post('/b', { preHandler: [requireAuraToken(), verifyAuraSignature({ secrets })] }, () => 1);
    // The option names are the core's; a typo is refused.
    // @ts-expect-error: `secret` is not `secrets`
    verifyAuraSignature({ secret: secrets });
    verifyAuraSignature({ secrets: async (appId: string) => (appId === 'a' ? 's' : undefined) });
  });

  it('fits app.setErrorHandler as it is, without a wrapper', () => {
    app.setErrorHandler(auraErrorHandler);
    expectTypeOf(auraErrorHandler).parameters.toEqualTypeOf<
      [Error, FastifyRequest, FastifyReply]
    >();
  });

  it('leaves request.body as Fastify types it', () => {
    app.post('/hooks/aura', { preHandler: verifyAuraSignature({ secrets }) }, async (req) => {
      expectTypeOf(req.body).toEqualTypeOf<unknown>();
      return { from: req.auraCaller.appId, got: req.body };
    });
  });
});

// The core's answer type is what the adapter writes; a compile-time reminder of its shape.
expectTypeOf<NeutralResponse>().toHaveProperty('status').toEqualTypeOf<number>();
