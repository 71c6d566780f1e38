import type { AuraClient } from '@aura/core';
import type { Request } from 'express';

/** The caller of a verified inbound call: `req.auraCaller`. */
export interface AuraCaller {
  appId: string;
}

/**
 * The request `authorize` receives. `user` is whatever the app's own authentication put there
 * (Passport, a session middleware); when such a library declares `req.user`, its type wins.
 */
export type AuraAuthorizeRequest = Request & { user?: unknown };

// Our own property names (`aura`, `auraCaller`), so that no other library's `req.auth` or
// `req.user` can collide with them.
declare global {
  namespace Express {
    interface Request {
      /** The Aura client, attached by `auraMiddleware()`. */
      aura: AuraClient;
      /** Set by `verifyAuraSignature()` once the inbound signature holds. */
      auraCaller?: AuraCaller;
    }
  }
}
