// A Nest 11 app is CommonJS: `require('@aura/nestjs')` loads the CJS build, which requires
// `@nestjs/*`. Here Nest 11 is installed under aliases (`nest11-*`) next to the workspace's
// Nest 12, so every `@nestjs/*` require is sent to Nest 11. Prints the upload-token answer.
const Module = require('node:module');
const path = require('node:path');

const nest11 = {};
for (const name of ['common', 'core', 'platform-express']) {
  nest11[`@nestjs/${name}`] = path.dirname(require.resolve(`nest11-${name}/package.json`));
}
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const name = Object.keys(nest11).find((n) => request === n || request.startsWith(`${n}/`));
  const target = name === undefined ? request : nest11[name] + request.slice(name.length);
  return resolve.call(this, target, ...rest);
};

require('reflect-metadata');
const { NestFactory } = require('@nestjs/core');
const { AuraModule } = require('@aura/nestjs');

async function main() {
  if (!require('@nestjs/core/package.json').version.startsWith('11.')) throw new Error('not 11');
  const client = JSON.parse(process.argv[2]);
  const app = await NestFactory.create(
    AuraModule.forRoot({
      client,
      routes: { prefix: 'api/aura', authorize: () => ({ id: 'cjs' }) },
    }),
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  try {
    const { port } = app.getHttpServer().address();
    const response = await fetch(`http://127.0.0.1:${port}/api/aura/upload-token`, {
      method: 'POST',
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status !== 200) throw new Error(`answered ${response.status}`);
    process.stdout.write(await response.text());
  } finally {
    app.getHttpServer().closeAllConnections();
    await app.close();
  }
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
