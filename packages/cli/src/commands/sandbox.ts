import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EXIT_FAILED, EXIT_OK } from '../errors';
import type { CliIo } from '../io';

export const SANDBOX_USAGE = `Usage: aura sandbox [sandbox options]

Starts the local Aura sandbox (@aura/sandbox) in the foreground: the Aura API, a tus server and
a capture collector on 127.0.0.1, with development credentials. Every option is the sandbox's
own (aura sandbox --port 0, --cors <origin>, …); Ctrl+C stops it.
`;

/** The sandbox's own bin, found through its package. */
export function sandboxBin(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('@aura/sandbox/package.json');
  const { bin } = require('@aura/sandbox/package.json') as { bin: Record<string, string> };
  return path.join(path.dirname(manifest), bin['aura-sandbox']!);
}

export async function sandboxCommand(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(`${SANDBOX_USAGE}\n`);
  }
  // The sandbox parses its own flags (and prints its own help after ours).
  const child = spawn(process.execPath, [sandboxBin(), ...argv], { stdio: 'inherit' });
  // A signal sent to this process alone is passed on, so the sandbox always closes cleanly.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, forward);
  return new Promise((resolve) => {
    child.once('error', (error) => {
      io.stderr(`aura sandbox: could not start the sandbox: ${error.message}\n`);
      resolve(EXIT_FAILED);
    });
    child.once('exit', (code, signal) => {
      for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(name, forward);
      resolve(signal !== null ? EXIT_OK : (code ?? EXIT_FAILED));
    });
  });
}
