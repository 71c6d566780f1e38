import { AuraError } from '@aura/core';
import type { Cluster, Redis } from 'ioredis';
import {
  REAUTH_TAKE,
  TOKEN_GET_OR_LOCK,
  TOKEN_INVALIDATE,
  TOKEN_REJECT,
  TOKEN_SET,
  TOKEN_UNLOCK,
  TOKEN_USE,
  TOKEN_WAIT_TIME,
} from './scripts';

/** A standalone client or a cluster client: both carry the same commands. */
export type RedisClient = Redis | Cluster;

/** The scripts, as ioredis commands (sent by SHA, re-sent whole on NOSCRIPT). */
interface AuraCommands {
  auraTokenGetOrLock(
    value: string,
    lock: string,
    mark: string,
    owner: string,
    lockMs: string,
  ): Promise<[number, string | number, number?]>;
  auraTokenSet(value: string, lock: string, mark: string, ...args: string[]): Promise<number>;
  auraTokenUnlock(lock: string, owner: string, channel: string, id: string): Promise<number>;
  auraTokenInvalidate(value: string, token: string): Promise<number>;
  auraTokenReject(value: string, mark: string, token: string, markMs: string): Promise<number>;
  auraTokenWaitTime(value: string, lock: string): Promise<number>;
  auraTokenUse(value: string, token: string): Promise<number | null>;
  auraReauthTake(
    log: string,
    max: string,
    windowMs: string,
    member: string,
  ): Promise<[number, number]>;
}

export type ScriptedClient = RedisClient & AuraCommands;

const SCRIPTS: Array<[keyof AuraCommands, number, string]> = [
  ['auraTokenGetOrLock', 3, TOKEN_GET_OR_LOCK],
  ['auraTokenSet', 3, TOKEN_SET],
  ['auraTokenUnlock', 1, TOKEN_UNLOCK],
  ['auraTokenInvalidate', 1, TOKEN_INVALIDATE],
  ['auraTokenReject', 2, TOKEN_REJECT],
  ['auraTokenWaitTime', 2, TOKEN_WAIT_TIME],
  ['auraTokenUse', 1, TOKEN_USE],
  ['auraReauthTake', 1, REAUTH_TAKE],
];

/** Defines the scripts on `client` (idempotent: the same definitions replace each other). */
export function withScripts(client: RedisClient): ScriptedClient {
  for (const [name, numberOfKeys, lua] of SCRIPTS)
    client.defineCommand(name, { numberOfKeys, lua });
  return client as ScriptedClient;
}

/** After a call misses its deadline, calls fail at once for this long instead of each waiting. */
const PAUSE_AFTER_TIMEOUT_MS = 1_000;

/**
 * Every Redis call goes through here: it gets a deadline, and it fails at once, without being
 * sent, while the connection is known to be down (after it was up once: while the first
 * connection is being made, calls wait for it, within their deadline) or for a short pause after
 * a call timed out (a server that accepts connections but does not answer). Each store decides
 * what a failure means: tokens fall back to the process, nonces refuse, budgets tighten.
 * ioredis reconnects by itself; the first call after it is `ready` again goes to Redis.
 */
export class RedisGuard {
  readonly client: ScriptedClient;
  readonly timeoutMs: number;
  #connectedOnce: boolean;
  #pausedUntil = 0;
  #closed = false;

  constructor(client: RedisClient, timeoutMs: number) {
    this.client = withScripts(client);
    this.timeoutMs = timeoutMs;
    this.#connectedOnce = client.status === 'ready';
    client.on('ready', () => {
      this.#connectedOnce = true;
      this.#pausedUntil = 0;
    });
  }

  /** False while calls would fail without being sent. */
  get available(): boolean {
    if (this.#closed || Date.now() < this.#pausedUntil) return false;
    return !this.#connectedOnce || this.client.status === 'ready';
  }

  close(): void {
    this.#closed = true;
  }

  async run<T>(what: string, call: (client: ScriptedClient) => Promise<T>): Promise<T> {
    if (this.#closed)
      throw new AuraError('store_unavailable', `Redis ${what}: the Aura Redis stores are closed`);
    const { status } = this.client;
    if (this.#connectedOnce && status !== 'ready') {
      throw new AuraError('store_unavailable', `Redis ${what}: the connection is ${status}`);
    }
    if (Date.now() < this.#pausedUntil) {
      throw new AuraError(
        'store_unavailable',
        `Redis ${what}: Redis missed a deadline just now; not asked`,
      );
    }
    try {
      return await withDeadline(call(this.client), this.timeoutMs, what);
    } catch (error) {
      if (isTimeout(error)) this.#pausedUntil = Date.now() + PAUSE_AFTER_TIMEOUT_MS;
      if (error instanceof AuraError) throw error;
      throw new AuraError(
        'store_unavailable',
        `Redis ${what} failed: ${(error as Error)?.message ?? error}`,
        {
          cause: error,
        },
      );
    }
  }
}

function isTimeout(error: unknown): boolean {
  if (error instanceof AuraError) return error.details?.timedOut === true;
  // ioredis's own `commandTimeout` rejects with "Command timed out".
  return /timed out/i.test(String((error as Error)?.message));
}

/**
 * `promise`, or a `store_unavailable` AuraError (`details.timedOut`) after `ms`. The timer never
 * keeps the process alive.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new AuraError('store_unavailable', `Redis ${what}: no answer within ${ms} ms`, {
            details: { timedOut: true },
          }),
        ),
      ms,
    );
    timer.unref();
  });
  // A late answer or failure after the deadline is dropped, not left unhandled.
  promise.catch(() => {});
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
