import { auraErrorResponse } from '@aura/core';
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import { reply } from './http';

/**
 * Answers an `AuraError` thrown by a handler (a client call) with its status and
 * `{ error: { code, message } }` (Aura's own code kept; never a stack, secret or token), on
 * Express and Fastify alike. Anything else goes to Nest's own handling, unchanged.
 * `{ provide: APP_FILTER, useClass: AuraExceptionFilter }`, or
 * `app.useGlobalFilters(new AuraExceptionFilter(app.get(HttpAdapterHost)))`.
 */
@Catch()
export class AuraExceptionFilter implements ExceptionFilter {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const answer = host.getType() === 'http' ? auraErrorResponse(exception) : undefined;
    if (answer === undefined) {
      new BaseExceptionFilter(this.adapterHost.httpAdapter).catch(exception, host);
    } else {
      reply(this.adapterHost, host.switchToHttp().getResponse(), answer);
    }
  }
}
