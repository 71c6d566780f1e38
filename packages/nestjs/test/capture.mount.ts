/**
 * The capture suite's app on Nest (the contract in @aura/test-kit's capture-mount.ts), on the
 * platform `adapter` makes: `AuraCaptureModule.forRoot(auraCapture(…))`, then controllers.
 * Also bundled into the memory scenario's child process, so it imports from @aura/test-kit
 * only the mount contract.
 */
import type { AddressInfo } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { CAPTURE_PATHS, type CaptureMount, ECHO_COOKIE, STREAM_CHUNKS } from '@aura/test-kit';
import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Module,
  Param,
  Post,
  Req,
  StreamableFile,
} from '@nestjs/common';
import { type AbstractHttpAdapter, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { AuraCaller, AuraCaptureModule, AuraSigned, auraCapture } from '../src/index';

export function nestCaptureMount(adapter: () => AbstractHttpAdapter): CaptureMount {
  return async (setup) => {
    const capture = auraCapture(setup.capture);

    @Controller('v1')
    class ThingsController {
      @Get('things/:thingId')
      thing(@Param('thingId') thingId: string) {
        return { thingId };
      }
    }

    @Controller()
    class CaptureController {
      @Post(CAPTURE_PATHS.echo)
      @HttpCode(200)
      @Header('set-cookie', ECHO_COOKIE)
      echo(@Body() body: unknown) {
        return body;
      }

      @Get(CAPTURE_PATHS.stream)
      stream() {
        const stream = new PassThrough();
        let at = 0;
        const next = () => {
          if (at === STREAM_CHUNKS.length) return void stream.end();
          stream.write(STREAM_CHUNKS[at++]);
          setTimeout(next, 5);
        };
        next();
        return new StreamableFile(stream, { type: 'text/plain' });
      }

      @Post(CAPTURE_PATHS.upload)
      @HttpCode(200)
      async upload(@Req() req: { body?: unknown; raw?: Readable } & Readable) {
        // Fastify hands the unparsed stream as the body (see the parser below); Express, the request.
        const body = req.body as Readable | undefined;
        const stream = typeof body?.on === 'function' ? body : (req.raw ?? req);
        let bytes = 0;
        for await (const chunk of stream) bytes += (chunk as Buffer).length;
        return { bytes };
      }

      @Post(CAPTURE_PATHS.hook)
      @HttpCode(200)
      @AuraSigned(setup.verify)
      inbound(@AuraCaller() caller: { appId: string }, @Body() body: unknown) {
        return { from: caller.appId, got: body };
      }
    }

    @Module({
      imports: [AuraCaptureModule.forRoot(capture)],
      controllers: [ThingsController, CaptureController],
    })
    class AppModule {}

    const platform = adapter();
    if (platform.getType() === 'fastify') {
      // Uploads of any other type reach the route as a stream, unparsed.
      platform
        .getInstance()
        .addContentTypeParser(
          '*',
          (_request: unknown, payload: unknown, done: (error: null, body: unknown) => void) =>
            done(null, payload),
        );
    }
    const app = await NestFactory.create(AppModule, platform, {
      rawBody: true,
      logger: false,
      abortOnError: false,
    });
    await app.listen(0, '127.0.0.1');
    const server = app.getHttpServer();
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      capture,
      close: async () => {
        server.closeAllConnections();
        await app.close();
      },
    };
  };
}

export const captureMount = nestCaptureMount(() => new ExpressAdapter());
