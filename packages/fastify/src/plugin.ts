/**
 * `auraPlugin`: one Aura client per app on `app.aura` and `request.aura`, and the raw-byte
 * check of the routes guarded by `verifyAuraSignature`. Wrapped in `fastify-plugin` so both
 * reach every route of the app, including routes declared at the root after it.
 */
import { type AuraClientSource, type AuraEnv, resolveAuraClient } from '@aura/core';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { checkBeforeParsing } from './verify';

export interface AuraPluginOptions {
  /** An `AuraClient`, options for one, or nothing: the `AURA_*` environment (default). */
  client?: AuraClientSource;
  /** The environment to read when no client is given (default `process.env`). */
  env?: AuraEnv;
}

const plugin: FastifyPluginAsync<AuraPluginOptions> = async (app, options) => {
  // Resolved now: a missing variable fails `register` (start-up), not the first request.
  const client = resolveAuraClient(options.client, options.env);
  app.decorate('aura', client);
  // A getter on the app's request prototype, not an `onRequest` hook: every request of the app
  // (the token guard's, and the routes' that never look) reads the client without a hook, and
  // so without a promise, run for it. Assigning still works: it shadows the getter on that request.
  app.decorateRequest('aura', {
    getter: () => client,
    setter(value) {
      Object.defineProperty(this, 'aura', {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    },
  });
  // A `null` placeholder keeps the request's shape stable; the verifier sets the real value.
  app.decorateRequest('auraCaller', null as never);
  app.addHook('onRoute', checkBeforeParsing);
};

export const auraPlugin = fp(plugin, { name: '@aura/fastify', fastify: '5.x' });
