// Type-level tests: the module's options, the decorators' signatures and the request type as a
// user's code sees them.
import type { AuraClientOptions, InboundVerifierOptions, MemoryRateLimitStore } from '@aura/core';
import type { DynamicModule } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import { describe, expectTypeOf, it } from 'vitest';
import {
  Aura,
  AuraCaller,
  AuraClient,
  AuraExceptionFilter,
  AuraModule,
  type AuraModuleOptions,
  type AuraRequest,
  AuraSigned,
  RequireAuraToken,
} from '../src/index';

describe('@aura/nestjs types', () => {
  it('forRoot takes the client, isGlobal and the routes; authorize gets the request', () => {
    expectTypeOf(AuraModule.forRoot).returns.toEqualTypeOf<DynamicModule>();
    AuraModule.forRoot();
    AuraModule.forRoot({ isGlobal: true });
    AuraModule.forRoot({ client: new AuraClient({} as AuraClientOptions) });
    AuraModule.forRoot({ client: {} as AuraClientOptions, env: { AURA_BASE_URL: 'x' } });
    AuraModule.forRoot({
      routes: {
        prefix: 'api/aura',
        authorize: (req) => {
          expectTypeOf(req).toEqualTypeOf<AuraRequest>();
          expectTypeOf(req.user).toEqualTypeOf<unknown>();
          expectTypeOf(req.headers).toEqualTypeOf<Record<string, string | string[] | undefined>>();
          return req.user ?? null;
        },
        rateLimit: { max: 10, windowMs: 60_000, store: {} as MemoryRateLimitStore },
        exposeExchange: true,
      },
    });
    AuraModule.forRoot({ routes: { allowAnonymous: true, authorize: async () => ({ id: 1 }) } });
    // The routes use the module's client: no other client per route set.
    // @ts-expect-error client is the module's option, not the routes'
    AuraModule.forRoot({ routes: { allowAnonymous: true, client: {} as AuraClientOptions } });
    // @ts-expect-error prefix is a path
    AuraModule.forRoot({ routes: { prefix: 1 } });
  });

  it('forRootAsync takes imports, inject and a factory, class or existing provider', () => {
    AuraModule.forRootAsync({
      isGlobal: true,
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        client: config.getOrThrow<AuraClientOptions>('aura'),
      }),
    });
    AuraModule.forRootAsync({
      useFactory: async (): Promise<AuraModuleOptions> => ({ routes: { allowAnonymous: true } }),
    });
    class Options {
      create(): AuraModuleOptions {
        return {};
      }
    }
    AuraModule.forRootAsync({ useClass: Options });
    // @ts-expect-error the factory answers the module's options
    AuraModule.forRootAsync({ useFactory: () => ({ routes: 1 }) });
  });

  it('decorators: guards on methods and classes, parameters for the caller and the client', () => {
    expectTypeOf(RequireAuraToken()).toExtend<MethodDecorator & ClassDecorator>();
    expectTypeOf(AuraSigned({ secrets: {} })).toExtend<MethodDecorator & ClassDecorator>();
    expectTypeOf(AuraSigned).parameter(0).toEqualTypeOf<InboundVerifierOptions>();
    AuraSigned({ secrets: async (appId) => (appId === 'a' ? 'secret' : undefined), only: ['a'] });
    // @ts-expect-error secrets are required
    AuraSigned({ only: ['a'] });
    expectTypeOf(AuraCaller()).toEqualTypeOf<ParameterDecorator>();
    expectTypeOf(Aura()).toEqualTypeOf<ParameterDecorator>();
  });

  it('AuraExceptionFilter is built from HttpAdapterHost (APP_FILTER does it for you)', () => {
    expectTypeOf(AuraExceptionFilter).constructorParameters.toEqualTypeOf<[HttpAdapterHost]>();
  });
});
