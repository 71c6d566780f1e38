import { randomBytes } from 'node:crypto';
import type { Scope } from './types';

export interface IssuedToken {
  token: string;
  appId: string;
  scopes: Scope[];
  issuedAt: number;
  expiresAt: number;
  maxUses: number | null;
  uses: number;
  /** The tus credential handed out in `lift.token`, made on first config call. */
  liftToken?: string;
}

export type TokenCheck =
  | { ok: true; token: IssuedToken }
  | { ok: false; code: 'invalid_token' | 'token_expired' | 'token_exhausted'; message: string };

/** Upload tokens (`aubt_…`) and their tus credentials (`aulift_…`), in memory. */
export class TokenStore {
  readonly #tokens = new Map<string, IssuedToken>();
  readonly #lift = new Map<string, string>();

  constructor(private readonly now: () => number) {}

  issue(appId: string, scopes: Scope[], ttl: number, maxUses: number | null): IssuedToken {
    const issuedAt = this.now();
    const token: IssuedToken = {
      token: `aubt_${randomBytes(24).toString('hex')}`,
      appId,
      scopes,
      issuedAt,
      expiresAt: issuedAt + ttl * 1000,
      maxUses,
      uses: 0,
    };
    this.#tokens.set(token.token, token);
    return token;
  }

  /**
   * Finds a token and says whether it may still be used (without using it). `ignoreUses` is
   * for tus, whose many requests per file are not API calls and use up nothing.
   */
  check(value: string | undefined, options: { ignoreUses?: boolean } = {}): TokenCheck {
    if (value === undefined || value === '') {
      return { ok: false, code: 'invalid_token', message: 'A bearer upload token is required.' };
    }
    const token = this.#tokens.get(value);
    if (token === undefined) {
      return { ok: false, code: 'invalid_token', message: 'The upload token is not valid.' };
    }
    if (this.now() >= token.expiresAt) {
      return {
        ok: false,
        code: 'token_expired',
        message: `The upload token expired at ${new Date(token.expiresAt).toISOString()}.`,
      };
    }
    if (options.ignoreUses !== true && token.maxUses !== null && token.uses >= token.maxUses) {
      return {
        ok: false,
        code: 'token_exhausted',
        message: `The upload token has been used ${token.uses} times (max_uses ${token.maxUses}).`,
      };
    }
    return { ok: true, token };
  }

  /** Resolves `aulift_…` to its upload token, then checks that token. */
  checkLift(value: string): TokenCheck {
    const parent = this.#lift.get(value);
    if (parent === undefined) {
      return { ok: false, code: 'invalid_token', message: 'The upload token is not valid.' };
    }
    return this.check(parent, { ignoreUses: true });
  }

  use(token: IssuedToken): void {
    token.uses++;
  }

  liftTokenFor(token: IssuedToken): string {
    if (token.liftToken === undefined) {
      token.liftToken = `aulift_${randomBytes(24).toString('hex')}`;
      this.#lift.set(token.liftToken, token.token);
    }
    return token.liftToken;
  }

  clear(): void {
    this.#tokens.clear();
    this.#lift.clear();
  }
}

/** Reads `Authorization: Bearer <token>`; `undefined` when absent, repeated or another scheme. */
export function bearerToken(values: string[] | undefined): string | undefined {
  if (values === undefined || values.length !== 1) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(values[0]!);
  return match?.[1];
}
