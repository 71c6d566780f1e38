// One command: `pnpm start` (or `node start.js`). Runs a local Aura sandbox, points the
// server's AURA_* environment at it, and starts the Express server. With AURA_BASE_URL already
// set, no sandbox is started and the server talks to that Aura instead.
import http from 'node:http';
import { startSandbox } from '@aura/sandbox';

const DEV_WORKER_SECRET = 'billing-worker-dev-secret-change-me';

let sandbox;
if (process.env.AURA_BASE_URL === undefined) {
  sandbox = await startSandbox({ port: Number(process.env.SANDBOX_PORT ?? 4010) });
  const { appId, appSecret, apiKey } = sandbox.credentials;
  Object.assign(process.env, {
    AURA_BASE_URL: sandbox.apiUrl,
    AURA_APP_ID: appId,
    AURA_APP_SECRET: appSecret,
    AURA_API_KEY: apiKey,
  });
  console.log(`Aura sandbox on ${sandbox.apiUrl}`);
}
process.env.BILLING_WORKER_SECRET ??= DEV_WORKER_SECRET;

// Imported only now: auraMiddleware() reads its configuration from the environment at once.
const { app } = await import('./server.js');
const server = http.createServer(app);
await new Promise((resolve) =>
  server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', resolve),
);
const url = `http://127.0.0.1:${server.address().port}`;
console.log(`Express example listening on ${url}`);
console.log(`  curl -X POST -H 'x-demo-user: alice' ${url}/api/aura/upload-token`);
console.log(`  curl ${url}/uploads/config`);
console.log(`  node call-hook.js ${url}/hooks/aura`);

async function shutdown() {
  // Idle keep-alive sockets would hold close() open.
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await sandbox?.close();
  process.exit(0);
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
