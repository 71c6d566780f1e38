import { usageError } from './errors';

/** `--header 'Name: value'` → `[name, value]`, refusing what is not a header. */
export function parseHeaderFlag(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon === -1 ? '' : text.slice(0, colon).trim();
  if (colon === -1 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw usageError(`--header expects 'Name: value' (got "${text}")`);
  }
  return [name, text.slice(colon + 1).trim()];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes as text when they are valid UTF-8, else `undefined`. */
export function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A value quoted for a POSIX shell: `'…'`, a `'` inside written as `'\''`. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
