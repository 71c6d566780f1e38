/** `requireAuraToken()` in every adapter: a valid upload token before the handler runs. */
import { type AuraClient, accessTokenAtOnce } from '../client/client';
import type { MaybePromise } from '../crypto/types';
import { isThenable } from '../tokens/guard';
import { auraErrorResponse } from './errors';
import { errorResponse, type NeutralResponse } from './http';

/**
 * Makes sure `client` holds a valid access token (exchanging one if needed; the client's own
 * timeout bounds it). `undefined` when it does, else the answer to send: Aura's refusal or
 * unavailability mapped like every other Aura error, never a stack or a secret.
 *
 * On the warm path (the cache holds a usable token, in a store that answers synchronously) the
 * `undefined` comes at once, not as a promise: a guard in front of every request then costs a
 * cache read, with no promise turn, so adapters call `next()` synchronously when they get it.
 * Whatever has to wait (an exchange, an asynchronous store such as Redis) answers a promise of
 * the same; `await` suits both.
 */
export function ensureAuraToken(client: AuraClient): MaybePromise<NeutralResponse | undefined> {
  let token: MaybePromise<string>;
  try {
    token = accessTokenAtOnce(client) ?? client.getAccessToken();
  } catch (error) {
    return refusal(error);
  }
  return isThenable(token) ? token.then(() => undefined, refusal) : undefined;
}

function refusal(error: unknown): NeutralResponse {
  return (
    auraErrorResponse(error) ?? errorResponse(500, 'aura_error', 'no Aura token could be obtained')
  );
}
