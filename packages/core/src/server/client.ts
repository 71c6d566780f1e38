/**
 * Which `AuraClient` a server uses. The default is one client per environment, built once and
 * shared by everything in the app that asked for the default (the middleware, the routes, the
 * token guard), so that they share one token cache and one re-auth budget; a missing variable
 * fails when the app is assembled, with the configuration error that names each variable.
 */
import { AuraClient } from '../client/client';
import type { AuraClientOptions } from '../client/types';
import { type AuraEnv, auraConfigFromEnv } from '../config';
import { AuraError } from '../errors';

/** A given client, options for a new one, or nothing (the `AURA_*` environment). */
export type AuraClientSource = AuraClient | AuraClientOptions | undefined;

// Environments seen → their client. Keyed by the configuration itself, so that two reads of the
// same `process.env` (or the same Workers bindings per request) give one client. Bounded: a
// process meets a handful of configurations, never an unbounded stream of them.
const MAX_ENV_CLIENTS = 16;
const envClients = new Map<string, AuraClient>();

function processEnv(): AuraEnv {
  const process = (globalThis as { process?: { env?: AuraEnv } }).process;
  return process?.env ?? {};
}

function isClient(source: unknown): source is AuraClient {
  // `instanceof` fails across two copies of the package (dual ESM/CJS); the shape does not.
  if (source instanceof AuraClient) return true;
  return (
    typeof source === 'object' &&
    source !== null &&
    typeof (source as AuraClient).getAccessToken === 'function' &&
    typeof (source as AuraClient).exchangeToken === 'function' &&
    typeof (source as AuraClient).submit === 'function'
  );
}

/**
 * Given client → itself; options → `new AuraClient(options)`; nothing → the client for `env`
 * (default `process.env`), built once per distinct configuration. Throws the `configuration`
 * `AuraError` (naming every missing or invalid variable, never a secret's value) when the
 * options or the environment are incomplete: call it when the app is assembled.
 */
export function resolveAuraClient(source?: AuraClientSource, env?: AuraEnv): AuraClient {
  if (isClient(source)) return source;
  if (source !== undefined) {
    if (typeof source !== 'object' || source === null) {
      throw new AuraError(
        'configuration',
        'client must be an AuraClient, AuraClient options, or omitted (the AURA_* environment)',
      );
    }
    return new AuraClient(source);
  }
  const config = auraConfigFromEnv(env ?? processEnv());
  const key = JSON.stringify(config);
  const known = envClients.get(key);
  if (known !== undefined) return known;
  const client = new AuraClient(config);
  if (envClients.size >= MAX_ENV_CLIENTS) {
    const oldest = envClients.keys().next().value;
    if (oldest !== undefined) envClients.delete(oldest);
  }
  envClients.set(key, client);
  return client;
}
