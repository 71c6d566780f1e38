// Smoke test of the built package: import it from ESM and CJS; serve the routes from the ESM
// build on Nest 12 and from the CJS build on Nest 11 (CommonJS, as Nest 11 apps are), each
// against a sandbox on 127.0.0.1, and ask for an upload token. Loopback only.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import 'reflect-metadata';

const require = createRequire(import.meta.url);
const esm = await import('@aura/nestjs');
const cjs = require('@aura/nestjs');
const names = [
  'AuraModule',
  'AuraExceptionFilter',
  'RequireAuraToken',
  'AuraSigned',
  'AuraCaller',
  'Aura',
  'AuraClient',
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
const { NestFactory } = await import('@nestjs/core');
const sandbox = await startSandbox();
const client = { baseUrl: sandbox.apiUrl, ...sandbox.credentials };
try {
  // Nest 12, ESM: the module alone, its routes mounted under /api/aura.
  const app = await NestFactory.create(
    esm.AuraModule.forRoot({
      client,
      routes: { prefix: 'api/aura', authorize: () => ({ id: 'smoke' }) },
    }),
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  try {
    await expectToken(`http://127.0.0.1:${app.getHttpServer().address().port}`, 'nest 12, esm');
  } finally {
    app.getHttpServer().closeAllConnections();
    await app.close();
  }
  // Nest 11, CJS, in its own process: see nest11.cjs.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [new URL('./nest11.cjs', import.meta.url).pathname, JSON.stringify(client)],
    { timeout: 30_000 },
  );
  await expectToken(stdout.trim(), 'nest 11, cjs', true);
  console.log(
    '@aura/nestjs smoke: esm + cjs imports ok; upload-token on Nest 12 (esm) and Nest 11 (cjs) ok',
  );
} finally {
  await sandbox.close();
}

async function expectToken(urlOrBody, label, given = false) {
  let status = 200;
  let body;
  if (given) body = JSON.parse(urlOrBody);
  else {
    const response = await fetch(`${urlOrBody}/api/aura/upload-token`, {
      method: 'POST',
      signal: AbortSignal.timeout(10_000),
    });
    status = response.status;
    body = await response.json();
  }
  if (status !== 200 || !/^aubt_/.test(body.token)) {
    throw new Error(`${label}: upload-token answered ${status} ${JSON.stringify(body)}`);
  }
}
