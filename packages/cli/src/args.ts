import { type ParseArgsConfig, parseArgs } from 'node:util';
import { usageError } from './errors';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * `parseArgs` in strict mode, its errors reworded to name the flag the way it was typed
 * (`--bdoy`: unknown flag `--bdoy`), so the user sees which one to fix.
 */
export function parseFlags(argv: string[], options: Options, allowPositionals = false): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message;
    const flag = /'(-[^' ]+)/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw usageError(`unknown flag ${flag ?? message}`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      // Either a value is missing (`--url` at the end) or one was given to a switch.
      throw usageError(
        /argument missing/.test(message)
          ? `${flag ?? 'a flag'} needs a value`
          : `${flag ?? 'a flag'} takes no value`,
      );
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const extra = /'([^']*)'/.exec(message)?.[1];
      throw usageError(`unexpected argument "${extra ?? message}"`);
    }
    throw usageError(message);
  }
}

export function stringFlag(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listFlag(parsed: Parsed, name: string): string[] {
  const value = parsed.values[name];
  return Array.isArray(value) ? value : [];
}

export function booleanFlag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

/** A whole number of seconds (`--timestamp`, `--now`, `--skew`, `--ttl`), named on failure. */
export function integerFlag(
  parsed: Parsed,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const text = stringFlag(parsed, name);
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text) || Number(text) < min || Number(text) > max) {
    // A 13-digit Unix time is milliseconds: the one mistake worth naming.
    const hint = /^\d{13}$/.test(text) ? '; that looks like milliseconds, give seconds' : '';
    throw usageError(
      `--${name} expects a whole number from ${min} to ${max} (got "${text}")${hint}`,
    );
  }
  return Number(text);
}
