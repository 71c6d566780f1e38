/**
 * Facts about the Aura API (docs/API.md) that every part of the SDK relies on: the client, the
 * environment configuration, and the sandbox that emulates the server. One place, so that they
 * cannot drift apart.
 */

/** Every scope an upload token can carry. */
export const AURA_SCOPES = ['upload:init', 'upload:manage', 'integration:read'] as const;
/** Scopes asked for when none are given (`AURA_DEFAULT_SCOPES`' default): all of them. */
export const DEFAULT_SCOPES: readonly string[] = AURA_SCOPES;
/** Upload-token lifetime when none is asked for, in seconds (`AURA_TOKEN_TTL`' default). */
export const DEFAULT_TOKEN_TTL = 3600;
/** Longest upload-token lifetime Aura grants, in seconds (24 hours). */
export const MAX_TOKEN_TTL = 86_400;
/** Per-call timeout when none is set (`AURA_TIMEOUT`' default, 30 s). */
export const DEFAULT_TIMEOUT_MS = 30_000;
