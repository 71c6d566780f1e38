/**
 * Nest's own idioms around the module: `@nestjs/testing` with `overrideProvider(AuraClient)`,
 * `forRootAsync` from `ConfigService`, guards and routes answering by themselves without
 * `AuraExceptionFilter`, the filter through `APP_FILTER` and `useGlobalFilters` on both
 * platforms, class-level `@RequireAuraToken()`, a global prefix, and what is not mounted.
 */
import { randomUUID } from 'node:crypto';
import { AuraClient, type AuraClientOptions, MemoryNonceStore } from '@aura/core';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import { call, INBOUND_APPS, signedCall } from '@aura/test-kit';
import {
  Body,
  Controller,
  Get,
  type INestApplication,
  Inject,
  Injectable,
  Module,
  NotFoundException,
  Post,
  Scope,
  type Type,
} from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { type AbstractHttpAdapter, HttpAdapterHost, ModuleRef, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Aura,
  AuraCaller,
  AuraExceptionFilter,
  AuraModule,
  type AuraModuleOptions,
  AuraSigned,
  RequireAuraToken,
} from '../src/index';
import { listen } from './support/app';

let sandbox: Sandbox;
let offline: string;
const closers: Array<() => Promise<void>> = [];
const clientOptions = (baseUrl = sandbox.apiUrl): AuraClientOptions => ({
  baseUrl,
  ...sandbox.credentials,
  retry: { attempts: 1 },
  timeoutMs: 5_000,
});
const secrets = { [INBOUND_APPS.partner.appId]: INBOUND_APPS.partner.appSecret };

beforeAll(async () => {
  // The tests mint many tokens: the sandbox's own per-app limits are not what is tested here.
  sandbox = await startSandbox({
    rateLimits: { exchange: 10_000, config: 10_000, lifecycle: 10_000 },
  });
  // A port that refuses connections: Aura "unreachable".
  const probe = await listen(await NestFactory.create(EmptyModule, { logger: false }));
  await probe.close();
  offline = `${probe.url}/api`;
});
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  await sandbox.close();
});

@Module({})
class EmptyModule {}

async function start(app: INestApplication): Promise<string> {
  const mounted = await listen(app);
  closers.push(mounted.close);
  return mounted.url;
}

const platforms: Record<string, () => AbstractHttpAdapter> = {
  express: () => new ExpressAdapter(),
  fastify: () => new FastifyAdapter(),
};

@Controller()
class UploadsController {
  constructor(@Inject(AuraClient) readonly injected: AuraClient) {}

  @Get('uploads/config')
  @RequireAuraToken()
  config(@Aura() aura: AuraClient) {
    return aura.getUploaderConfig();
  }

  @Get('same-client')
  same(@Aura() aura: AuraClient) {
    return { same: aura === this.injected };
  }

  @Post('uploads/submit')
  submit(@Body() body: { upload_id: string }, @Aura() aura: AuraClient) {
    return aura.submit({ uploadId: body.upload_id });
  }

  @Get('missing')
  missing(): never {
    throw new NotFoundException('not here');
  }
}

@Controller('signed')
class SignedController {
  @Post()
  @AuraSigned({ secrets, nonceStore: new MemoryNonceStore() })
  hook(@AuraCaller() caller: { appId: string }, @Body() body: unknown) {
    return { from: caller.appId, got: body };
  }
}

@Controller('guarded')
@RequireAuraToken()
class GuardedController {
  @Get('a')
  a() {
    return { a: true };
  }
}

function appModule(client: AuraClientOptions, routes = true): Type {
  @Module({
    imports: [
      AuraModule.forRoot({
        isGlobal: true,
        client,
        ...(routes
          ? {
              routes: {
                prefix: 'api/aura',
                authorize: (req) => (req.headers['x-user'] ? { id: req.headers['x-user'] } : null),
              },
            }
          : {}),
      }),
    ],
    controllers: [UploadsController, SignedController, GuardedController],
  })
  class AppModule {}
  return AppModule;
}

describe('@nestjs/testing', () => {
  it('overrideProvider(AuraClient) reaches the routes, the guard, @Aura() and injection', async () => {
    const replacement = new AuraClient(clientOptions());
    const moduleRef = await Test.createTestingModule({
      imports: [appModule(clientOptions(offline))],
    })
      .overrideProvider(AuraClient)
      .useValue(replacement)
      .compile();
    expect(moduleRef.get(AuraClient)).toBe(replacement);
    const url = await start(moduleRef.createNestApplication({ logger: false }));
    // The module was given an unreachable Aura: every answer below came from the replacement.
    const token = await call(`${url}/api/aura/upload-token`, {
      method: 'POST',
      headers: { 'x-user': 'u1' },
    });
    expect(token.status, token.text).toBe(200);
    expect((await call(`${url}/uploads/config`)).status).toBe(200);
    expect((await call(`${url}/same-client`)).body).toEqual({ same: true });
  });

  it('one AppModule serves several apps, each with its own client', async () => {
    const AppModule = appModule(clientOptions(offline));
    const build = (client: AuraClient) =>
      Test.createTestingModule({ imports: [AppModule] })
        .overrideProvider(AuraClient)
        .useValue(client)
        .compile();
    // Both built before either maps its routes, as a test suite may do.
    const online = await build(new AuraClient(clientOptions()));
    const down = await build(new AuraClient(clientOptions(offline)));
    const onlineUrl = await start(online.createNestApplication({ logger: false }));
    const downUrl = await start(down.createNestApplication({ logger: false }));
    const ask = (url: string) =>
      call(`${url}/api/aura/upload-token`, { method: 'POST', headers: { 'x-user': 'u' } });
    expect((await ask(onlineUrl)).status).toBe(200);
    expect((await ask(downUrl)).status).toBe(502);
  });

  it('AuraClient is one singleton, never request-scoped', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [appModule(clientOptions())],
    }).compile();
    const client = moduleRef.get(AuraClient);
    expect(client).toBeInstanceOf(AuraClient);
    expect(moduleRef.get(AuraClient, { strict: false })).toBe(client);
    expect(moduleRef.get(ModuleRef).introspect(AuraClient).scope).toBe(Scope.DEFAULT);
  });

  it('forRootAsync takes the client and routes from ConfigService', async () => {
    @Module({
      imports: [
        AuraModule.forRootAsync({
          isGlobal: true,
          imports: [
            ConfigModule.forRoot({
              ignoreEnvFile: true,
              load: [() => ({ aura: clientOptions() })],
            }),
          ],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            client: config.getOrThrow<AuraClientOptions>('aura'),
            routes: { prefix: 'from-config', allowAnonymous: true },
          }),
        }),
      ],
      controllers: [UploadsController],
    })
    class AsyncModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AsyncModule] }).compile();
    expect(moduleRef.get(AuraClient).baseUrl).toBe(sandbox.apiUrl);
    const url = await start(moduleRef.createNestApplication({ logger: false }));
    const token = await call(`${url}/from-config/upload-token`, { method: 'POST' });
    expect(token.status, token.text).toBe(200);
    expect((await call(`${url}/from-config/exchange`, { method: 'POST' })).status).toBe(404);
    expect((await call(`${url}/uploads/config`)).status).toBe(200);
  });

  it('forRootAsync takes an options class (useClass) with its own injections', async () => {
    @Injectable()
    class AuraOptions {
      constructor(@Inject(ConfigService) private readonly config: ConfigService) {}
      create(): AuraModuleOptions {
        return { client: this.config.getOrThrow<AuraClientOptions>('aura') };
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuraModule.forRootAsync({
          imports: [
            ConfigModule.forRoot({
              ignoreEnvFile: true,
              load: [() => ({ aura: clientOptions() })],
            }),
          ],
          useClass: AuraOptions,
        }),
      ],
    }).compile();
    expect(moduleRef.get(AuraClient).baseUrl).toBe(sandbox.apiUrl);
  });

  it('a bad route option stops the start-up, naming it', async () => {
    const build = Test.createTestingModule({
      imports: [AuraModule.forRoot({ client: clientOptions(), routes: { prefix: 'x' } })],
    }).compile();
    await expect(build).rejects.toMatchObject({
      code: 'configuration',
      message: expect.stringContaining('authorize'),
    });
  });
});

for (const [platform, adapter] of Object.entries(platforms)) {
  describe(`without AuraExceptionFilter, on ${platform}`, () => {
    let url: string;
    let down: string;
    beforeAll(async () => {
      url = await start(
        await NestFactory.create(appModule(clientOptions()), adapter(), {
          rawBody: true,
          logger: false,
        }),
      );
      down = await start(
        await NestFactory.create(appModule(clientOptions(offline)), adapter(), {
          rawBody: true,
          logger: false,
        }),
      );
    });

    it('guards answer the core status and { error: { code, message } } by themselves', async () => {
      const guarded = await call(`${down}/uploads/config`);
      expect(guarded.status).toBe(502);
      expect(guarded.body).toEqual({
        error: { code: 'aura_unreachable', message: expect.any(String) },
      });
      const unsigned = await call(`${url}/signed`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      expect(unsigned.status).toBe(401);
      expect(unsigned.body).toEqual({
        error: { code: 'missing_authorization', message: expect.any(String) },
      });
      const signed = await signedCall(url, {
        path: '/signed',
        body: '{"a":1}',
        credentials: INBOUND_APPS.partner,
      });
      expect(signed.status).toBe(201);
      expect(signed.body).toEqual({ from: INBOUND_APPS.partner.appId, got: { a: 1 } });
    });

    it('@RequireAuraToken() on a class guards each of its routes', async () => {
      expect((await call(`${url}/guarded/a`)).body).toEqual({ a: true });
      expect((await call(`${down}/guarded/a`)).status).toBe(502);
    });

    it("routes answer 200, Aura's status and code, and the core's 400 for bad JSON", async () => {
      const token = await call(`${url}/api/aura/upload-token`, {
        method: 'POST',
        headers: { 'x-user': 'u' },
      });
      expect(token.status).toBe(200);
      const unknown = await call(`${url}/api/aura/submit`, {
        method: 'POST',
        headers: { 'x-user': 'u', 'content-type': 'application/json' },
        body: JSON.stringify({ upload_id: randomUUID() }),
      });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({
        error: { code: 'upload_not_found', message: expect.any(String) },
      });
      const bad = await call(`${url}/api/aura/withdraw`, {
        method: 'POST',
        headers: { 'x-user': 'u', 'content-type': 'application/json' },
        body: '{"upload_id":',
      });
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ error: { code: 'invalid_json', message: expect.any(String) } });
    });

    it("bad JSON elsewhere in the app keeps Nest's own answer", async () => {
      const answer = await call(`${url}/uploads/submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"upload_id":',
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ statusCode: 400 });
    });

    it('an Aura error thrown by a handler is left to Nest (a 500 that says nothing)', async () => {
      const answer = await call(`${url}/uploads/submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ upload_id: randomUUID() }),
      });
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual({ statusCode: 500, message: 'Internal server error' });
    });

    it('without rawBody: true, @AuraSigned() refuses with raw_body_unavailable naming the option', async () => {
      const plain = await start(
        await NestFactory.create(appModule(clientOptions()), adapter(), { logger: false }),
      );
      const answer = await signedCall(plain, {
        path: '/signed',
        body: '{"a":1}',
        credentials: INBOUND_APPS.partner,
      });
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual({
        error: { code: 'raw_body_unavailable', message: expect.stringContaining('rawBody: true') },
      });
    });
  });

  describe(`AuraExceptionFilter on ${platform}`, () => {
    it("answers a handler's Aura error with Aura's status and code, through useGlobalFilters", async () => {
      const app = await NestFactory.create(appModule(clientOptions(), false), adapter(), {
        logger: false,
      });
      app.useGlobalFilters(new AuraExceptionFilter(app.get(HttpAdapterHost)));
      const url = await start(app);
      const answer = await call(`${url}/uploads/submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ upload_id: randomUUID() }),
      });
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({
        error: { code: 'upload_not_found', message: expect.any(String) },
      });
      // Anything else is Nest's own answer.
      const missing = await call(`${url}/missing`);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ statusCode: 404, message: 'not here' });
      // forRoot without routes mounts none.
      expect((await call(`${url}/api/aura/upload-token`, { method: 'POST' })).status).toBe(404);
    });

    it('serves the routes under a global prefix, bad JSON answered by the core', async () => {
      const app = await NestFactory.create(appModule(clientOptions()), adapter(), {
        logger: false,
      });
      app.setGlobalPrefix('v1');
      const url = await start(app);
      const token = await call(`${url}/v1/api/aura/upload-token`, {
        method: 'POST',
        headers: { 'x-user': 'u' },
      });
      expect(token.status, token.text).toBe(200);
      const bad = await call(`${url}/v1/api/aura/submit`, {
        method: 'POST',
        headers: { 'x-user': 'u', 'content-type': 'application/json' },
        body: '{',
      });
      expect(bad.body).toEqual({ error: { code: 'invalid_json', message: expect.any(String) } });
    });
  });
}

describe('Fastify specifics', () => {
  it("an error Fastify raises on an Aura route, other than the body's, still reaches Nest", async () => {
    const url = await start(
      await NestFactory.create(appModule(clientOptions()), new FastifyAdapter(), { logger: false }),
    );
    const answer = await call(`${url}/api/aura/submit`, {
      method: 'POST',
      headers: { 'x-user': 'u', 'content-type': 'application/x-unknown' },
      body: 'x',
    });
    expect(answer.status).toBe(415);
    expect(answer.body).toMatchObject({ statusCode: 415 });
  });
});
