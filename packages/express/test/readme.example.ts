import {
  auraErrorHandler,
  auraMiddleware,
  auraRouter,
  requireAuraToken,
  verifyAuraSignature,
} from '@aura/express';
import express from 'express';

const app = express();
const secrets = { 'billing-service': process.env.BILLING_SERVICE_SECRET ?? '' }; // your services' keys

app.use(auraMiddleware()); // req.aura, from the AURA_* variables (checked now, not on first use)
app.use('/api/aura', auraRouter({ authorize: (req) => req.user ?? null }));
app.post('/hooks/aura', verifyAuraSignature({ secrets }), (req, res) => {
  res.json({ from: req.auraCaller?.appId, got: req.body }); // req.body parsed from the verified bytes
});
app.get('/uploads/config', requireAuraToken(), async (req, res) => {
  res.json(await req.aura.getUploaderConfig());
});
app.use(auraErrorHandler());

export { app };
