import { createHash, timingSafeEqual } from 'node:crypto';
import { DEFAULT_TOKEN_TTL, MAX_TOKEN_TTL, verifyRequest } from '@aura/core';
import type { Call, SandboxContext } from './context';
import { auraError, ok, parseJsonObject, type Reply, singleHeader, validationError } from './http';
import { bearerToken, type IssuedToken } from './tokens';
import { type RateLimitGroup, SCOPES, type Scope } from './types';
import { Validator } from './validate';

const MAX_USES_LIMIT = 1_000_000;

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** `X-Api-Key` must be sent once and belong to the app; `undefined` when it does. */
function apiKeyProblem(call: Call, appId: string, required: boolean): Reply | undefined {
  const values = call.req.headersDistinct['x-api-key'];
  if (values === undefined && !required) return undefined;
  const key = singleHeader(call.req, 'x-api-key');
  const app = call.ctx.apps.get(appId);
  if (key === undefined || app === undefined || !sameSecret(key, app.apiKey)) {
    return auraError(
      401,
      'invalid_api_key',
      values === undefined
        ? 'The X-Api-Key header is required.'
        : 'The X-Api-Key header does not match this app.',
    );
  }
  return undefined;
}

function rateLimited(ctx: SandboxContext, group: RateLimitGroup, appId: string): Reply | undefined {
  const decision = ctx.limiter.hit(group, appId);
  if (decision.ok) return undefined;
  return auraError(
    429,
    'rate_limited',
    `Too many ${group} requests: the limit is ${decision.limit} per minute. Retry after ${decision.retryAfter} s.`,
    {
      'Retry-After': String(decision.retryAfter),
      'X-RateLimit-Limit': String(decision.limit),
      'X-RateLimit-Remaining': '0',
    },
  );
}

/** `POST /auth/exchange`: a signed call (checked by the core's verifier) → an upload token. */
export async function exchange(call: Call, raw: Buffer): Promise<Reply> {
  const { ctx, req } = call;
  const verified = await verifyRequest(
    { method: req.method, url: req.url, headers: req.headersDistinct, body: raw },
    {
      secrets: (appId) => ctx.apps.get(appId)?.appSecret,
      nonceStore: ctx.nonces,
      now: ctx.now,
      skewSeconds: ctx.skewSeconds,
    },
  );
  if (!verified.ok) return auraError(verified.status, verified.code, verified.message);
  call.appId = verified.appId;

  const keyProblem = apiKeyProblem(call, verified.appId, true);
  if (keyProblem) return keyProblem;
  const limited = rateLimited(ctx, 'exchange', verified.appId);
  if (limited) return limited;

  const parsed = parseJsonObject(raw);
  if (!parsed.ok) return parsed.reply;
  const v = new Validator(parsed.value);
  const ttl = v.integer('ttl', 1, MAX_TOKEN_TTL) ?? DEFAULT_TOKEN_TTL;
  const maxUses = v.integer('max_uses', 1, MAX_USES_LIMIT) ?? null;
  let scopes: Scope[] = [...SCOPES];
  const askedScopes = parsed.value.scopes;
  if (askedScopes !== undefined && askedScopes !== null) {
    if (!Array.isArray(askedScopes)) {
      v.add('scopes', 'The scopes field must be an array.');
    } else if (askedScopes.length === 0) {
      v.add('scopes', 'The scopes field is required.');
    } else {
      askedScopes.forEach((scope, i) => {
        if (typeof scope !== 'string' || !(SCOPES as readonly string[]).includes(scope)) {
          v.add(
            `scopes.${i}`,
            `The selected scopes.${i} is invalid (known: ${SCOPES.join(', ')}).`,
          );
        }
      });
      scopes = [...new Set(askedScopes as Scope[])];
    }
  }
  if (v.failed) return validationError(v.errors);

  const token = ctx.tokens.issue(verified.appId, scopes, ttl, maxUses);
  const expiresAt = new Date(token.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return ok({
    token: token.token,
    expires_at: expiresAt,
    access_token: token.token,
    token_type: 'Bearer',
    expires_in: ttl,
    scopes,
    max_uses: maxUses,
  });
}

export interface BearerRequirements {
  scope: Scope;
  group: RateLimitGroup;
  apiKey: 'required' | 'optional';
}

/**
 * Checks `Authorization: Bearer aubt_…` (valid, unexpired, uses left), the app's `X-Api-Key`,
 * the rate limit and the scope, then counts one use of the token.
 */
export function authenticateBearer(
  call: Call,
  needs: BearerRequirements,
): { ok: true; token: IssuedToken } | { ok: false; reply: Reply } {
  const { ctx } = call;
  const checked = ctx.tokens.check(bearerToken(call.req.headersDistinct.authorization));
  if (!checked.ok) return { ok: false, reply: auraError(401, checked.code, checked.message) };
  const { token } = checked;
  call.appId = token.appId;
  const keyProblem = apiKeyProblem(call, token.appId, needs.apiKey === 'required');
  if (keyProblem) return { ok: false, reply: keyProblem };
  const limited = rateLimited(ctx, needs.group, token.appId);
  if (limited) return { ok: false, reply: limited };
  if (!token.scopes.includes(needs.scope)) {
    return {
      ok: false,
      reply: auraError(
        403,
        'insufficient_scope',
        `This endpoint needs the scope ${needs.scope}; the token has ${token.scopes.join(', ')}.`,
      ),
    };
  }
  ctx.tokens.use(token);
  return { ok: true, token };
}
