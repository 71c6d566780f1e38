// `pnpm sandbox`: build the sandbox (and what it depends on) quietly, then run it in the
// foreground. The build's log is shown only when the build fails, so the first thing a person
// sees is the sandbox's own banner, or its own error (a port in use names the port and the way
// out). Arguments are the sandbox's: `pnpm sandbox --port 0`.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const turbo = path.join(root, 'node_modules', 'turbo', 'bin', 'turbo');
const cli = path.join(root, 'packages', 'sandbox', 'dist', 'cli.js');

process.stdout.write('Building the sandbox…\n');
const build = spawnSync(
  process.execPath,
  [turbo, 'run', 'build', '--filter=@aura/sandbox...', '--output-logs=errors-only'],
  { cwd: root, encoding: 'utf8', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } },
);
if (build.status !== 0) {
  process.stdout.write(build.stdout ?? '');
  process.stderr.write(build.stderr ?? '');
  process.stderr.write(`The build failed${build.error ? `: ${build.error.message}` : ''}.\n`);
  process.exit(1);
}

const sandbox = spawn(process.execPath, [cli, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
// Ctrl+C reaches the whole process group; a signal sent to this process alone is passed on, so
// the sandbox always gets to close its server and remove its temporary folder.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => sandbox.kill(signal));
}
sandbox.on('exit', (code, signal) => {
  // Stopped by a signal is the normal way out, not a failure worth pnpm's error block.
  process.exitCode = signal !== null ? 0 : (code ?? 1);
});
