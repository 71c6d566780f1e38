/**
 * What `@aura/fastify` adds to Fastify's own types. The property names are ours alone (`aura`,
 * `auraCaller`), so they cannot collide with another plugin's `request.user` or `request.auth`.
 */
import type { AuraClient } from '@aura/core';
import type { FastifyRequest } from 'fastify';

/** The app that signed a verified inbound call. */
export interface AuraCaller {
  appId: string;
}

/**
 * The request `authorize` receives. `user` is whatever the app's own auth plugin put there
 * (`@fastify/passport`, `@fastify/jwt`, a hook); when such a plugin types it, its type wins.
 */
export type AuraAuthorizeRequest = FastifyRequest & { user?: unknown };

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's Aura client, shared by every route (set by `auraPlugin`). */
    aura: AuraClient;
  }
  interface FastifyRequest {
    /** The app's Aura client (set by `auraPlugin`). */
    aura: AuraClient;
    /** The verified caller, on a route whose preHandler is `verifyAuraSignature(…)`. */
    auraCaller: AuraCaller;
  }
}
