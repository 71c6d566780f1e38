import { describe, expect, it } from 'vitest';
import * as core from '../src/index';

// An accidental change to what @aura/core exports shows up here, in review, before users see it.
describe('@aura/core public API', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(core).sort()).toMatchInlineSnapshot(`
      [
        "ALGORITHM",
        "ALWAYS_SIGNED",
        "AURA_ENV_VARIABLES",
        "AURA_SCOPES",
        "AuraApiError",
        "AuraClient",
        "AuraError",
        "DEFAULT_REAUTH_BUDGET",
        "DEFAULT_SCOPES",
        "DEFAULT_SKEW_SECONDS",
        "DEFAULT_TIMEOUT_MS",
        "DEFAULT_TOKEN_TTL",
        "EMPTY_SHA256",
        "MAX_AUTHORIZATION_LENGTH",
        "MAX_TOKEN_TTL",
        "MemoryNonceStore",
        "MemoryReauthStore",
        "MemoryTokenStore",
        "SERVICE",
        "auraConfigFromEnv",
        "canonicalPath",
        "canonicalQuery",
        "cryptoBackend",
        "explainSignature",
        "explainSignatureWith",
        "formatAuthorization",
        "isAuraError",
        "normalizeBaseUrl",
        "normalizeHeaderValue",
        "parseAuthorization",
        "signRequest",
        "signRequestWith",
        "verifyRequest",
        "verifyRequestWith",
      ]
    `);
  });
});
