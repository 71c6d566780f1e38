import { DEFAULT_SCOPES, DEFAULT_TIMEOUT_MS, DEFAULT_TOKEN_TTL, MAX_TOKEN_TTL } from './aura-api';
import { normalizeBaseUrl } from './client/base-url';
import { AuraError } from './errors';

/** An environment: `process.env`, a Workers `env`, `Deno.env.toObject()`, a parsed `.env`. */
export type AuraEnv = Record<string, string | undefined>;

/** What the `AURA_*` variables configure; spread into `new AuraClient({ … })`. */
export interface AuraEnvConfig {
  baseUrl: string;
  appId: string;
  appSecret: string;
  apiKey: string;
  tokenTtl: number;
  defaultScopes: string[];
  timeoutMs: number;
}

interface Variable {
  name: string;
  required: boolean;
  /** Shown in the message; never the value of a secret. */
  example: string;
  secret?: boolean;
}

export const AURA_ENV_VARIABLES: readonly Variable[] = [
  { name: 'AURA_BASE_URL', required: true, example: 'https://aura.example.com/api' },
  { name: 'AURA_APP_ID', required: true, example: 'aura_pk_…' },
  { name: 'AURA_APP_SECRET', required: true, example: 'aura_sk_…', secret: true },
  { name: 'AURA_API_KEY', required: true, example: 'aura_au_…', secret: true },
  { name: 'AURA_TOKEN_TTL', required: false, example: '3600' },
  {
    name: 'AURA_DEFAULT_SCOPES',
    required: false,
    example: 'upload:init,upload:manage,integration:read',
  },
  { name: 'AURA_TIMEOUT', required: false, example: '30' },
];

const APP_ID = /^[\x21-\x7e]+$/;
const SCOPE = /^[\x21-\x7e]+$/;
const WHOLE = /^\d{1,15}$/;

function processEnv(): AuraEnv {
  const process = (globalThis as { process?: { env?: AuraEnv } }).process;
  return process?.env ?? {};
}

/**
 * Reads and validates the `AURA_*` variables (docs/API.md). Throws one `configuration` error
 * that names every missing or invalid variable and shows how to set it; secret values are never
 * shown. `details.missing` and `details.invalid` list the names.
 */
export function auraConfigFromEnv(env: AuraEnv = processEnv()): AuraEnvConfig {
  const missing: string[] = [];
  const invalid: string[] = [];
  const lines: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const bad = (name: string, why: string) => {
    invalid.push(name);
    const example = AURA_ENV_VARIABLES.find((v) => v.name === name)!.example;
    lines.push(`${name} ${why}; e.g. ${name}=${example}`);
  };

  for (const variable of AURA_ENV_VARIABLES) {
    if (variable.required && read(variable.name) === undefined) {
      missing.push(variable.name);
      lines.push(`${variable.name} is missing; e.g. ${variable.name}=${variable.example}`);
    }
  }

  let baseUrl = '';
  const rawBase = read('AURA_BASE_URL');
  if (rawBase !== undefined) {
    try {
      baseUrl = normalizeBaseUrl(rawBase);
    } catch {
      bad('AURA_BASE_URL', `is not an http(s) URL without credentials, query or fragment`);
    }
  }
  const appId = read('AURA_APP_ID') ?? '';
  if (appId !== '' && (!APP_ID.test(appId) || /[,/]/.test(appId))) {
    bad('AURA_APP_ID', 'must be visible ASCII without spaces, "," or "/"');
  }
  const appSecret = read('AURA_APP_SECRET') ?? '';
  const apiKey = read('AURA_API_KEY') ?? '';
  // Sent as a header, so one line only; named here, before the client would call it `apiKey`.
  if (/[\r\n\0]/.test(apiKey)) bad('AURA_API_KEY', 'must be on one line (it holds a line break)');

  let tokenTtl = DEFAULT_TOKEN_TTL;
  const rawTtl = read('AURA_TOKEN_TTL');
  if (rawTtl !== undefined) {
    const ttl = Number(rawTtl);
    if (!WHOLE.test(rawTtl) || ttl < 1 || ttl > MAX_TOKEN_TTL) {
      bad(
        'AURA_TOKEN_TTL',
        `must be whole seconds from 1 to ${MAX_TOKEN_TTL} (got "${rawTtl.slice(0, 40)}")`,
      );
    } else tokenTtl = ttl;
  }

  let defaultScopes = [...DEFAULT_SCOPES];
  const rawScopes = env.AURA_DEFAULT_SCOPES;
  if (rawScopes !== undefined) {
    const scopes = rawScopes
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (scopes.length === 0 || !scopes.every((s) => SCOPE.test(s))) {
      bad('AURA_DEFAULT_SCOPES', 'must be a comma-separated list of scopes');
    } else defaultScopes = scopes;
  }

  let timeoutMs = DEFAULT_TIMEOUT_MS;
  const rawTimeout = read('AURA_TIMEOUT');
  if (rawTimeout !== undefined) {
    const seconds = Number(rawTimeout);
    if (!WHOLE.test(rawTimeout) || seconds < 1 || seconds > 3600) {
      bad(
        'AURA_TIMEOUT',
        `must be whole seconds from 1 to 3600 (got "${rawTimeout.slice(0, 40)}")`,
      );
    } else timeoutMs = seconds * 1000;
  }

  if (lines.length > 0) {
    const count = missing.length + invalid.length;
    throw new AuraError(
      'configuration',
      `Aura is not configured: ${count} environment variable${count === 1 ? ' is' : 's are'} missing or invalid.\n  - ${lines.join('\n  - ')}\nSet them in the environment, e.g. export AURA_APP_ID=aura_pk_…; this reads no .env file itself: to use one, run node --env-file=.env or load it before calling fromEnv.`,
      { details: { missing, invalid } },
    );
  }
  return { baseUrl, appId, appSecret, apiKey, tokenTtl, defaultScopes, timeoutMs };
}
