import { type Parsed, stringFlag } from './args';
import { usageError } from './errors';
import type { CliIo } from './io';

export const SECRET_HISTORY_WARNING =
  'warning: --secret puts the secret in your shell history and the process list; prefer AURA_APP_SECRET in the environment\n';

/**
 * The app secret: `AURA_APP_SECRET`, or `--secret` with a warning (shell history keeps it). It
 * is only ever handed to the signer or verifier, never printed.
 */
export function readSecret(parsed: Parsed, io: CliIo, command: string): string {
  const flag = stringFlag(parsed, 'secret');
  if (flag !== undefined) {
    io.stderr(SECRET_HISTORY_WARNING);
    if (flag === '') throw usageError('--secret is empty');
    return flag;
  }
  const fromEnv = io.env.AURA_APP_SECRET;
  if (fromEnv === undefined || fromEnv.trim() === '') {
    throw usageError(
      `aura ${command} needs the app secret: set AURA_APP_SECRET (or pass --secret, which lands in shell history)`,
    );
  }
  return fromEnv.trim();
}
