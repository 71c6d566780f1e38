import { AuraError } from '@aura/core';

/** A bad command line: the message names the flag; the command's usage follows it. */
export function usageError(message: string): AuraError {
  return new AuraError('invalid_argument', message);
}

/** Exit codes: 0 all good, 1 the check failed (a bad signature, a red doctor), 2 a bad command line. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
