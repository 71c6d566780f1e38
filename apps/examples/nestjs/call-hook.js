// The other side of /hooks/aura: one of your own services ("billing-worker") calling the server
// with a signed request. Usage: node call-hook.js http://127.0.0.1:3000/hooks/aura
import { signRequest } from '@aura/core';

const url = process.argv[2] ?? 'http://127.0.0.1:3000/hooks/aura';
const credentials = {
  appId: 'billing-worker',
  appSecret: process.env.BILLING_WORKER_SECRET ?? 'billing-worker-dev-secret-change-me',
};
const signed = await signRequest(credentials, {
  method: 'POST',
  url,
  headers: { 'content-type': 'application/json' },
  body: { event: 'invoice.paid', invoice: 'inv_123' },
});
const response = await fetch(signed.url, {
  method: signed.method,
  headers: signed.headers,
  body: signed.body,
  signal: AbortSignal.timeout(10_000),
});
console.log(response.status, await response.text());
process.exitCode = response.ok ? 0 : 1;
