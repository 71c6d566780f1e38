import type { AddressInfo } from 'node:net';
import { type Mount, PATHS, USER_HEADER } from '@aura/test-kit';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  type INestApplication,
  Module,
  Post,
} from '@nestjs/common';
import { type AbstractHttpAdapter, APP_FILTER, NestFactory } from '@nestjs/core';
import {
  Aura,
  AuraCaller,
  AuraClient,
  AuraExceptionFilter,
  AuraModule,
  AuraSigned,
  RequireAuraToken,
} from '../../src/index';

/** Listens on 127.0.0.1, port 0, and closes with every open connection. */
export async function listen(app: INestApplication) {
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await app.close();
    },
  };
}

/**
 * The conformance suite's app, the README block with the suite's options, on the platform
 * `adapter` makes. `body-consumed` is the app created without `rawBody: true`: Nest's JSON
 * parser then reads the body and keeps no bytes.
 */
export function nestMount(adapter: () => AbstractHttpAdapter): Mount {
  return async (setup) => {
    @Controller()
    class HooksController {
      @Post(PATHS.hook)
      @HttpCode(200)
      @AuraSigned(setup.verify)
      inbound(@AuraCaller() caller: { appId: string }, @Body() body: unknown) {
        return { from: caller.appId, got: body };
      }

      @Get(PATHS.config)
      @RequireAuraToken()
      config(@Aura() aura: AuraClient) {
        return aura.getUploaderConfig();
      }
    }

    @Module({
      imports: [
        AuraModule.forRoot({
          isGlobal: true,
          ...(setup.client === undefined ? {} : { client: setup.client }),
          routes: {
            ...setup.routes,
            prefix: PATHS.routes,
            authorize: (req) => setup.userFrom(req.headers[USER_HEADER]),
          },
        }),
      ],
      controllers: [HooksController],
      providers: [{ provide: APP_FILTER, useClass: AuraExceptionFilter }],
    })
    class AppModule {}

    const app = await NestFactory.create(AppModule, adapter(), {
      rawBody: setup.variant !== 'body-consumed',
      logger: false,
      abortOnError: false,
    });
    return listen(app);
  };
}
