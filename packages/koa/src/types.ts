import type { AuraClient } from '@aura/core';

/** Who signed an inbound call, once `verifyAuraSignature()` has checked the signature. */
export interface AuraCaller {
  appId: string;
}

// Koa's own typing hook: what middleware puts on `ctx.state` is declared on `DefaultState`.
// The names are ours alone (`aura`, `auraCaller`), so they cannot collide with another
// library's `ctx.state.user` or `ctx.state.auth`.
declare module 'koa' {
  interface DefaultState {
    /** The Aura client, attached by `auraMiddleware()`. */
    aura: AuraClient;
    /** The verified caller, set by `verifyAuraSignature()`. */
    auraCaller: AuraCaller;
  }
  interface Request {
    /** The parsed body: `verifyAuraSignature()` parses it from the verified bytes. Declared
     *  exactly as `@koa/bodyparser` declares it, so the two declarations merge. */
    body?: unknown;
  }
}
