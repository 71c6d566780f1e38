// The README's opening and its Express lines, whole: type-checked with the package (tsc), so the
// names and options the README shows stay the ones the packages take. The fleet tests run the
// same wiring for real (test/support/worker.ts).
import { AuraClient } from '@aura/core';
import { auraMiddleware, auraRouter, verifyAuraSignature } from '@aura/express';
import { createAuraRedis } from '@aura/redis';
import express from 'express';

const aura = createAuraRedis(process.env.REDIS_URL!); // or an ioredis Redis or Cluster
const client = AuraClient.fromEnv(process.env, {
  tokenStore: aura.tokenStore,
  reauthStore: aura.reauthStore,
});

const app = express();
const secrets = { 'billing-service': process.env.BILLING_SERVICE_SECRET ?? '' };
const authorize = (req: express.Request) => (req as { user?: unknown }).user ?? null;
const handler: express.RequestHandler = (req, res) => {
  res.json({ from: req.auraCaller?.appId });
};

app.use(auraMiddleware({ client }));
app.use('/api/aura', auraRouter({ client, authorize, rateLimit: { store: aura.rateLimitStore } }));
app.post('/hooks/aura', verifyAuraSignature({ secrets, nonceStore: aura.nonceStore }), handler);

export { app };
