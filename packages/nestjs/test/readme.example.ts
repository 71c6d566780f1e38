import {
  Aura,
  AuraCaller,
  AuraClient,
  AuraModule,
  AuraSigned,
  RequireAuraToken,
} from '@aura/nestjs';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Controller()
export class HooksController {
  constructor(readonly aura: AuraClient) {}

  @Post('hooks/aura')
  @AuraSigned({ secrets: { billing: process.env.BILLING_SECRET! }, only: ['billing'] })
  inbound(@AuraCaller() caller: { appId: string }, @Body() body: unknown) {
    return { from: caller.appId, got: body }; // body parsed from the verified bytes
  }

  @Get('uploads/config')
  @RequireAuraToken()
  config(@Aura() aura: AuraClient) {
    return aura.getUploaderConfig();
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
})
export class AppModule {}

const app = await NestFactory.create(AppModule, { rawBody: true }); // rawBody: for @AuraSigned

export { app };
