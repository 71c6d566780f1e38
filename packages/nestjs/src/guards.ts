/**
 * `@RequireAuraToken()`, `@AuraSigned(opts)`, `@AuraCaller()` and `@Aura()`: Nest decorators
 * composed over guards and a pipe. Every rule (token, signature, raw bytes, limits) is the
 * core's; a refusal is the core's answer thrown as an `HttpException`.
 */
import {
  AuraClient,
  auraErrorResponse,
  createInboundVerifier,
  ensureAuraToken,
  type InboundVerifier,
  type InboundVerifierOptions,
  rawBodyUnavailable,
} from '@aura/core';
import {
  type ArgumentsHost,
  applyDecorators,
  type CanActivate,
  Catch,
  createParamDecorator,
  type ExceptionFilter,
  type ExecutionContext,
  Inject,
  Injectable,
  type PipeTransform,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost, Reflector } from '@nestjs/core';
import { type AuraRequest, bodyBytes, neutralRequest, refusal, reply } from './http';

const AURA_SIGNED = Symbol.for('@aura/nestjs.signed');
const RAW_BODY_FIX =
  'Create the app with NestFactory.create(AppModule, { rawBody: true }) so that Nest keeps ' +
  'the bytes of the body (req.rawBody) for @AuraSigned().';

/** Makes sure the app's `AuraClient` holds a valid token before the handler runs. */
@Injectable()
export class RequireAuraTokenGuard implements CanActivate {
  constructor(
    @Inject(AuraClient) private readonly client: AuraClient,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  /**
   * `true` at once on a warm cache (the core answers without a promise), which Nest takes without
   * awaiting anything; a promise only when there is something to wait for (an exchange, a store).
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const refused = ensureAuraToken(this.client);
    if (refused === undefined) return true;
    return Promise.resolve(refused).then((answer) => {
      if (answer !== undefined) throw refusal(this.adapterHost, context, answer);
      return true;
    });
  }
}

/** Lets through only calls signed by a known app; see `@AuraSigned()`. */
@Injectable()
export class AuraSignedGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const verifier = this.reflector.getAllAndOverride<InboundVerifier>(AURA_SIGNED, targets);
    // Fail closed: this guard without its options cannot know whom to let in.
    if (verifier === undefined) throw new Error('AuraSignedGuard needs @AuraSigned(options)');
    const req = context.switchToHttp().getRequest<AuraRequest>();
    // No bytes: a parser consumed the body and Nest kept none; a re-serialised one never matches.
    const read = (await bodyBytes(req, verifier.maxBodyBytes)) ?? {
      ok: false as const,
      response: rawBodyUnavailable(RAW_BODY_FIX),
    };
    if (!read.ok) throw refusal(this.adapterHost, context, read.response);
    const body = read.bytes.length === 0 ? undefined : read.bytes;
    const result = await verifier.verify(neutralRequest(req), body);
    if (!result.ok) throw refusal(this.adapterHost, context, result.response);
    req.auraCaller = result.caller;
    // The handler's `@Body()` is parsed from the bytes that were verified.
    req.body = result.body;
    return true;
  }
}

/** Passes the app's `AuraClient` to a parameter decorated with `@Aura()`. */
@Injectable()
export class AuraClientPipe implements PipeTransform {
  constructor(@Inject(AuraClient) private readonly client: AuraClient) {}
  transform(): AuraClient {
    return this.client;
  }
}

/** A valid Aura token before the handler (method or class); refusals answer the core's error. */
export function RequireAuraToken(): MethodDecorator & ClassDecorator {
  return applyDecorators(UseGuards(RequireAuraTokenGuard));
}

/**
 * Verifies an inbound AURA-HMAC-SHA256 call on its raw bytes (`req.rawBody`: create the app with
 * `{ rawBody: true }`). Options are checked now, when the class is defined.
 */
export function AuraSigned(options: InboundVerifierOptions): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(AURA_SIGNED, createInboundVerifier(options)),
    UseGuards(AuraSignedGuard),
  );
}

/** The verified caller `{ appId }` of an `@AuraSigned()` route. */
export const AuraCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext) =>
    context.switchToHttp().getRequest<AuraRequest>().auraCaller,
);

const auraParam = createParamDecorator(() => undefined);
/** The app's `AuraClient` as a handler parameter. */
export const Aura = (): ParameterDecorator => auraParam(undefined, AuraClientPipe);

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
