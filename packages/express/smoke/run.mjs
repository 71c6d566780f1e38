// Smoke test of the built package: import it from ESM and CJS, then serve the README's routes
// from the CJS build against a sandbox on 127.0.0.1 and ask for an upload token. Loopback only.
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const esm = await import('@aura/express');
const cjs = require('@aura/express');
const names = [
  'auraMiddleware',
  'auraRouter',
  'verifyAuraSignature',
  'requireAuraToken',
  'auraErrorHandler',
  'captureRawBody',
];
for (const [format, mod] of [
  ['esm', esm],
  ['cjs', cjs],
]) {
  for (const name of names) {
    if (typeof mod[name] !== 'function') throw new Error(`${format}: ${name} missing`);
  }
}

const { startSandbox } = await import('@aura/sandbox');
const express = require('express');
const sandbox = await startSandbox();
const app = express();
app.use(cjs.auraMiddleware({ client: { baseUrl: sandbox.apiUrl, ...sandbox.credentials } }));
app.use('/api/aura', cjs.auraRouter({ authorize: () => ({ id: 'smoke' }) }));
app.use(cjs.auraErrorHandler());
const server = http.createServer(app);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
try {
  const { port } = server.address();
  const response = await fetch(`http://127.0.0.1:${port}/api/aura/upload-token`, {
    method: 'POST',
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.json();
  if (response.status !== 200 || !/^aubt_/.test(body.token)) {
    throw new Error(`upload-token answered ${response.status} ${JSON.stringify(body)}`);
  }
  console.log('@aura/express smoke: esm + cjs imports ok; upload-token from the cjs build ok');
} finally {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await sandbox.close();
}
