import type { AuraClient } from '@aura/core';

/** The caller of a verified inbound call: `req.auraCaller`. */
export interface AuraCaller {
  appId: string;
}

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
