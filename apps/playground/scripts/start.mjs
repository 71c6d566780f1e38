// `pnpm start` (the README's first command): build the workspace packages the playground uses,
// quietly, then start the sandbox, the Express partner server and its page, and print one URL
// to open. The port is PORT (default 3000; 0 picks a free one); a taken port is named.
// `--no-build` skips the build, for packages built already (the tests, after turbo's build).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const turbo = path.join(root, 'node_modules', 'turbo', 'bin', 'turbo');

function port() {
  const text = process.env.PORT?.trim();
  if (text === undefined || text === '') return 3000;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535) {
    process.stderr.write(`PORT must be a port from 0 to 65535 (got "${text.slice(0, 40)}")\n`);
    process.exit(2);
  }
  return Number(text);
}
const wanted = port();

const skipBuild = process.argv.includes('--no-build');
if (!skipBuild) process.stdout.write('Building the packages the playground uses…\n');
const build = skipBuild
  ? { status: 0 }
  : spawnSync(
      process.execPath,
      [turbo, 'run', 'build', '--filter=@aura/playground^...', '--output-logs=errors-only'],
      { cwd: root, encoding: 'utf8', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } },
    );
if (build.status !== 0) {
  process.stdout.write(build.stdout ?? '');
  process.stderr.write(build.stderr ?? '');
  process.stderr.write(`The build failed${build.error ? `: ${build.error.message}` : ''}.\n`);
  // turbo finds pnpm on the PATH, which `pnpm start` puts there and a bare `node` does not.
  if (/package manager binary/.test(`${build.stdout}${build.stderr}`)) {
    process.stderr.write(
      'turbo needs pnpm on the PATH: run `npx -y pnpm@10 start` (or add --no-build once the packages are built).\n',
    );
  }
  process.exit(1);
}

// Imported only after the build: the workspace packages resolve to their dist/.
const { startPlayground, PortInUseError } = await import('../src/playground.js');
let playground;
try {
  playground = await startPlayground({
    port: wanted,
    log: { info: () => {}, warn: (message) => process.stderr.write(`warning: ${message}\n`) },
  });
} catch (error) {
  if (error instanceof PortInUseError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

process.stdout.write(
  [
    '',
    `Aura playground: open ${playground.url}`,
    '',
    `  (a local Aura sandbox answers on ${playground.sandbox.apiUrl}; press Ctrl+C to stop)`,
    '',
  ].join('\n'),
);

let stopping = false;
async function stop(signal) {
  if (stopping) process.exit(130);
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the playground…\n`);
  const force = setTimeout(() => process.exit(1), 5_000);
  force.unref();
  await playground.close();
  process.stdout.write('Playground stopped.\n');
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));
