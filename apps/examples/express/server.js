// The partner's server: @aura/express's README lines, plus a stand-in for the app's own sign-in.
// Configured from the environment (AURA_* for Aura, BILLING_WORKER_SECRET for the one service
// allowed to call /hooks/aura); `start.js` sets both up against a local sandbox.
import {
  auraErrorHandler,
  auraMiddleware,
  auraRouter,
  requireAuraToken,
  verifyAuraSignature,
} from '@aura/express';
import express from 'express';

export const app = express();
const secrets = { 'billing-worker': process.env.BILLING_WORKER_SECRET ?? '' };

// Stands in for your own authentication (Passport, a session middleware): here the user is
// whoever the `x-demo-user` header names. Never do this in a real app.
app.use((req, _res, next) => {
  const name = req.get('x-demo-user');
  req.user = name ? { id: name } : null;
  next();
});

app.use(auraMiddleware()); // req.aura, from the AURA_* variables
app.use('/api/aura', auraRouter({ authorize: (req) => req.user ?? null }));
app.post('/hooks/aura', verifyAuraSignature({ secrets }), (req, res) => {
  res.json({ from: req.auraCaller.appId, got: req.body }); // req.body parsed from the verified bytes
});
app.get('/uploads/config', requireAuraToken(), async (req, res) => {
  res.json(await req.aura.getUploaderConfig());
});
app.use(auraErrorHandler());
