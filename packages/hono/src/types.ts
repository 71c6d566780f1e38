import type { AuraClient } from '@aura/core';

/** The service that signed an inbound call, once `verifyAuraSignature` has verified it. */
export interface AuraCaller {
  appId: string;
}

/** What the middlewares put on the context: `c.var.aura` and `c.var.auraCaller`. */
export interface AuraVariables {
  aura: AuraClient;
  auraCaller: AuraCaller;
}

/** A Hono `Env` for an app that uses the middlewares: `new Hono<AuraEnv>()`. */
export interface AuraEnv {
  Variables: AuraVariables;
}

/** The `AURA_*` variables as Workers bindings (`[vars]` and secrets), read from `c.env`. */
export type AuraBindings = {
  [Name in `AURA_${'BASE_URL' | 'APP_ID' | 'APP_SECRET' | 'API_KEY' | 'TOKEN_TTL' | 'DEFAULT_SCOPES' | 'TIMEOUT'}`]?: string;
};
