// The partner's app: @aura/nestjs's README lines, plus a stand-in for the app's own sign-in.
// Configured from the environment (AURA_* for Aura, BILLING_WORKER_SECRET for the one service
// allowed to call /hooks/aura); `start.ts` sets both up against a local sandbox.
import {
  Aura,
  AuraCaller,
  AuraClient,
  AuraExceptionFilter,
  AuraModule,
  AuraSigned,
  RequireAuraToken,
} from '@aura/nestjs';
import {
  Body,
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Injectable,
  Module,
  Post,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';

/**
 * Stands in for your own authentication (Passport's AuthGuard, a session): here the user is
 * whoever the `x-demo-user` header names. Never do this in a real app. A global guard runs
 * before every route, the module's routes included, so `authorize` sees `req.user`.
 */
@Injectable()
class DemoUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest();
    const name = req.headers['x-demo-user'];
    req.user = typeof name === 'string' && name !== '' ? { id: name } : null;
    return true;
  }
}

@Controller()
export class HooksController {
  constructor(readonly aura: AuraClient) {}

  @Post('hooks/aura')
  @AuraSigned({
    secrets: { 'billing-worker': process.env.BILLING_WORKER_SECRET ?? '' },
    only: ['billing-worker'],
  })
  inbound(@AuraCaller() caller: { appId: string }, @Body() body: unknown) {
    return { from: caller.appId, got: body }; // body parsed from the verified bytes
  }

  @Get('uploads/config')
  @RequireAuraToken()
  config(@Aura() aura: AuraClient) {
    return aura.getUploaderConfig();
  }

  @Get('uploads/same-client')
  sameClient(@Aura() aura: AuraClient) {
    // One AuraClient for the app: the injected one is the one @Aura() hands out.
    return { same: aura === this.aura };
  }
}

@Module({
  // AuraClient from the AURA_* variables, checked at start-up; the routes under /api/aura
  imports: [
    AuraModule.forRoot({
      isGlobal: true,
      routes: { prefix: 'api/aura', authorize: (req) => req.user ?? null },
    }),
  ],
  controllers: [HooksController],
  providers: [
    { provide: APP_GUARD, useClass: DemoUserGuard },
    { provide: APP_FILTER, useClass: AuraExceptionFilter },
  ],
})
export class AppModule {}
