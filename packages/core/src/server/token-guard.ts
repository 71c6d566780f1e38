/** `requireAuraToken()` in every adapter: a valid upload token before the handler runs. */
import type { AuraClient } from '../client/client';
import { auraErrorResponse } from './errors';
import { errorResponse, type NeutralResponse } from './http';

/**
 * Makes sure `client` holds a valid access token (exchanging one if needed; the client's own
 * timeout bounds it). `undefined` when it does, else the answer to send: Aura's refusal or
 * unavailability mapped like every other Aura error, never a stack or a secret.
 */
export async function ensureAuraToken(client: AuraClient): Promise<NeutralResponse | undefined> {
  try {
    await client.getAccessToken();
    return undefined;
  } catch (error) {
    return (
      auraErrorResponse(error) ??
      errorResponse(500, 'aura_error', 'no Aura token could be obtained')
    );
  }
}
