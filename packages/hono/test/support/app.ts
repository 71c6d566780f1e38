/**
 * The app every Hono test runs, in Node and inside workerd, Bun and Deno: issue 11's Hono block
 * as written, plus the app's own sign-in (a user from a test header) that `authorize` reads.
 */
import { Hono } from 'hono';
import {
  type AuraMiddlewareOptions,
  auraErrorHandler,
  auraMiddleware,
  auraRoutes,
  requireAuraToken,
  type VerifyAuraSignatureOptions,
  verifyAuraSignature,
} from '../../src/index';

/** The partner service that signs calls into this app. */
export const PARTNER = { appId: 'partner_svc', appSecret: 'partner_secret_0123456789' };
export const secrets = { [PARTNER.appId]: PARTNER.appSecret };

/** The header standing in for the app's own session. */
export const USER_HEADER = 'x-test-user';

export interface TestAppOptions {
  aura?: AuraMiddlewareOptions;
  verify?: Partial<VerifyAuraSignatureOptions>;
}

export function createTestApp(options: TestAppOptions = {}) {
  const app = new Hono<{ Variables: { user?: { id: string } } }>();
  app.use('*', async (c, next) => {
    const id = c.req.header(USER_HEADER);
    if (id !== undefined) c.set('user', { id });
    await next();
  });

  app.use('*', auraMiddleware(options.aura));
  app.route('/api/aura', auraRoutes({ authorize: (c) => c.get('user') ?? null, ...options.aura }));
  app.post('/hooks/aura', verifyAuraSignature({ secrets, ...options.verify }), async (c) =>
    c.json({ from: c.var.auraCaller.appId, got: await c.req.json() }),
  );
  app.get('/uploads/config', requireAuraToken(), async (c) =>
    c.json(await c.var.aura.getUploaderConfig()),
  );
  app.onError(auraErrorHandler);
  return app;
}
