import { isAuraError } from '@aura/core';
import { doctorCommand } from './commands/doctor';
import { exchangeCommand } from './commands/exchange';
import { sandboxCommand } from './commands/sandbox';
import { signCommand } from './commands/sign';
import { verifyCommand } from './commands/verify';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './errors';
import type { CliIo } from './io';

export const USAGE = `Usage: aura <command> [options]

Commands:
  sign       sign a request; --explain shows the canonical request, string to sign, signature
  verify     check a captured request against a secret and name the rule it breaks
  exchange   exchange the AURA_* credentials for an upload token
  doctor     check the AURA_* set-up: config, reachability, clock, exchange, scopes
  sandbox    start the local Aura sandbox

Run \`aura <command> --help\` for a command's options. The app secret is read from
AURA_APP_SECRET and never printed.
`;

const COMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  sign: signCommand,
  verify: verifyCommand,
  exchange: exchangeCommand,
  doctor: doctorCommand,
  sandbox: sandboxCommand,
};

/**
 * Runs `aura <argv…>` and resolves to the exit code: 0 all good, 1 the check failed, 2 a bad
 * command line. Never throws: every error is told on `io.stderr`.
 */
export async function runAura(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic !== undefined && COMMANDS[topic] !== undefined) return runAura([topic, '--help'], io);
    (name === undefined ? io.stderr : io.stdout)(USAGE);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    io.stderr(`aura: unknown command "${name}"\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  try {
    return await command(rest, io);
  } catch (error) {
    if (isAuraError(error, 'invalid_argument')) {
      io.stderr(`aura ${name}: ${error.message}\nRun \`aura ${name} --help\` for the options.\n`);
      return EXIT_USAGE;
    }
    // The signer's own refusals (an invalid URL, a header it will not sign) name their cause.
    if (isAuraError(error)) {
      io.stderr(`aura ${name}: ${error.code}: ${error.message}\n`);
      return EXIT_FAILED;
    }
    io.stderr(`aura ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  }
}

export { EXIT_FAILED, EXIT_OK, EXIT_USAGE };
