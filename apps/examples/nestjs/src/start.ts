// One command: `pnpm start` (tsc, then `node dist/start.js`). Runs a local Aura sandbox, points
// the app's AURA_* environment at it, and starts the Nest app. With AURA_BASE_URL already set,
// no sandbox is started and the app talks to that Aura instead.

import type { AddressInfo } from 'node:net';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import { NestFactory } from '@nestjs/core';

const DEV_WORKER_SECRET = 'billing-worker-dev-secret-change-me';

let sandbox: Sandbox | undefined;
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

// Imported only now: @AuraSigned reads its secret when the controller is defined, and the
// module reads the AURA_* variables when the app is created.
const { AppModule } = await import('./app.module.js');
// rawBody: Nest keeps the bytes of each body, which @AuraSigned() verifies.
const app = await NestFactory.create(AppModule, { rawBody: true, logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
const { port } = app.getHttpServer().address() as AddressInfo;
const url = `http://127.0.0.1:${port}`;
console.log(`NestJS example listening on ${url}`);
console.log(`  curl -X POST -H 'x-demo-user: alice' ${url}/api/aura/upload-token`);
console.log(`  curl ${url}/uploads/config`);
console.log(`  node call-hook.js ${url}/hooks/aura`);

async function shutdown() {
  // Idle keep-alive sockets would hold close() open.
  app.getHttpServer().closeAllConnections();
  await app.close();
  await sandbox?.close();
  process.exit(0);
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
