import { parseArgs } from 'node:util';
import { parseRateLimit } from './rate-limit';
import type { SandboxApp, SandboxOptions } from './types';

export const DEFAULT_PORT = 4010;

export const USAGE = `Usage: aura-sandbox [options]

A strict, stateful local emulator of the Aura API (no account, no secrets, loopback only).

Options:
  --port <n>                   port to listen on (default: AURA_SANDBOX_PORT, else PORT, else
                               ${DEFAULT_PORT}; 0 picks a free one)
  --host <addr>                address to bind (default 127.0.0.1; others warn)
  --app <id:secret:apiKey>     accept these credentials instead of the defaults (repeatable)
  --cors <origin>              answer CORS for this origin, or * for any (repeatable)
  --allow-host <name>          let the /_sandbox controls answer to this Host name too (besides
                               loopback names and --host; repeatable)
  --rate-limit <name=n>        calls per minute per app: exchange (10), config (30),
                               lifecycle (60) (repeatable)
  --data-dir <dir>             keep tus uploads here (default: a temporary folder, removed on exit)
  --capture-key <key[:id[:name]]>
                               accept this capture collector key (repeatable; default aura_ck_sandbox)
  --skew <seconds>             allowed clock difference for signed calls (default 300)
  --strict-uploads             refuse tus data before start, and complete before the files
                               have finished (default: accept both, with a warning on the upload)
  -h, --help                   show this help
`;

export type CliArgs = { help: true } | { help: false; options: SandboxOptions };

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new Error(`--${name} expects an integer from ${min} to ${max} (got "${text}")`);
  }
  return Number(text);
}

/** The environment variables that choose the port when `--port` is not given, first first. */
export const PORT_VARIABLES = ['AURA_SANDBOX_PORT', 'PORT'] as const;

function portFrom(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): number {
  if (flag !== undefined) return integer('port', flag, 0, 65_535);
  for (const name of PORT_VARIABLES) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') continue;
    if (!/^\d+$/.test(value) || Number(value) > 65_535) {
      throw new Error(`${name} must be a port from 0 to 65535 (got "${value.slice(0, 40)}")`);
    }
    return Number(value);
  }
  return DEFAULT_PORT;
}

/**
 * Turns the command line (and the port variables of `env`) into `startSandbox` options; throws
 * with a message on a bad flag or variable.
 */
export function parseCliArgs(
  argv: string[],
  env: Readonly<Record<string, string | undefined>> = {},
): CliArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      app: { type: 'string', multiple: true },
      cors: { type: 'string', multiple: true },
      'allow-host': { type: 'string', multiple: true },
      'rate-limit': { type: 'string', multiple: true },
      'data-dir': { type: 'string' },
      'capture-key': { type: 'string', multiple: true },
      skew: { type: 'string' },
      'strict-uploads': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return { help: true };
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);

  const options: SandboxOptions = { port: portFrom(values.port, env) };
  if (values.host !== undefined) {
    if (values.host.trim() === '') throw new Error('--host expects an address');
    options.host = values.host;
  }
  if (values.app !== undefined) {
    options.apps = values.app.map((text): SandboxApp => {
      const parts = text.split(':');
      if (parts.length !== 3 || parts.some((p) => p === '')) {
        throw new Error(`--app expects id:secret:apiKey (got "${text.split(':')[0]}:…")`);
      }
      const [appId, appSecret, apiKey] = parts as [string, string, string];
      return { appId, appSecret, apiKey };
    });
  }
  if (values.cors !== undefined) options.cors = values.cors;
  if (values['allow-host'] !== undefined) options.allowedHosts = values['allow-host'];
  if (values['rate-limit'] !== undefined) {
    options.rateLimits = Object.fromEntries(values['rate-limit'].map(parseRateLimit));
  }
  if (values['data-dir'] !== undefined) options.dataDir = values['data-dir'];
  if (values['capture-key'] !== undefined) {
    options.captureKeys = Object.fromEntries(
      values['capture-key'].map((text) => {
        const [key, id, name] = text.split(':');
        if (key === undefined || key === '') throw new Error('--capture-key expects a key');
        return [key, { id: id || 'sandbox', name: name || 'Aura sandbox' }];
      }),
    );
  }
  if (values.skew !== undefined) options.skewSeconds = integer('skew', values.skew, 0, 86_400);
  if (values['strict-uploads'] === true) options.strictUploads = true;
  return { help: false, options };
}
