/**
 * The fleet: four (or two) separate `node` processes, each with its own AuraClient and
 * createAuraRedis, against one real redis-server and one real sandbox, counting what reaches
 * the sandbox. Each process is what a partner runs behind a load balancer.
 */
import { signRequest } from '@aura/core';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker, startWorker, type Worker } from './support/fleet';
import { type RedisServer, startRedisServer } from './support/redis-server';

const PROCESSES = 4;
const CALLERS = 250;
const TOKEN_TTL_S = 2;

let redis: RedisServer;
let admin: Redis;
let sandbox: Sandbox;
let bundle: { file: string; remove(): void };
let fleet: Worker[] = [];

beforeAll(async () => {
  [redis, sandbox, bundle] = await Promise.all([
    startRedisServer(),
    startSandbox({ rateLimits: { exchange: 10_000, config: 10_000 } }),
    bundleWorker(),
  ]);
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const { appId, appSecret, apiKey } = sandbox.credentials;
  const env = {
    REDIS_URL: redis.url,
    AURA_BASE_URL: sandbox.apiUrl,
    AURA_APP_ID: appId,
    AURA_APP_SECRET: appSecret,
    AURA_API_KEY: apiKey,
  };
  fleet = await Promise.all(Array.from({ length: PROCESSES }, () => startWorker(bundle.file, env)));
});

afterAll(async () => {
  await Promise.all(fleet.map((worker) => worker.stop()));
  admin?.disconnect();
  await Promise.all([redis?.close(), sandbox?.close()]);
  bundle?.remove();
});

const exchanges = () =>
  sandbox.requests().filter((r) => r.path === '/api/auth/exchange' && r.status === 200).length;

/** Script calls made by the whole fleet since the last `CONFIG RESETSTAT`. */
async function scriptCalls(): Promise<number> {
  const stats = String(await admin.info('commandstats'));
  let calls = 0;
  for (const match of stats.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g))
    calls += Number(match[1]);
  return calls;
}

type TokensAnswer = { tokens: string[]; failures: string[]; ms: number };

async function burst(ttl?: number): Promise<TokensAnswer[]> {
  return Promise.all(
    fleet.map((worker) => worker.send<TokensAnswer>('tokens', { n: CALLERS, ttl })),
  );
}

describe('one token for the fleet', () => {
  it(`${PROCESSES} processes × ${CALLERS} concurrent callers: exactly one exchange and one token`, async () => {
    const before = exchanges();
    await admin.config('RESETSTAT');

    const answers = await burst();

    expect(answers.flatMap((a) => a.failures)).toEqual([]);
    const tokens = new Set(answers.flatMap((a) => a.tokens));
    expect(tokens.size).toBe(1);
    expect(exchanges() - before).toBe(1);
    // Waiting processes were woken by the winner's publish, not by polling: each asks the
    // get-or-lock script about twice and the wait script once; the winner asks once and keeps
    // the token (one more script).
    expect(await scriptCalls()).toBeLessThanOrEqual(3 * PROCESSES);
  });

  it('an exchange slower than the client’s store deadline: still one exchange, the others wait for it', async () => {
    // Waiting is `waitFor`'s, bounded by the lock; a get-or-lock that waited inside itself would
    // be cut off by the client's 1 s store deadline, and every process would exchange for itself.
    sandbox.fault({ path: '/api/auth/exchange', delayMs: 1_500 });
    const before = exchanges();

    const answers = await burst(1_800); // a token of its own (the cache key holds the ttl)

    expect(answers.flatMap((a) => a.failures)).toEqual([]);
    expect(new Set(answers.flatMap((a) => a.tokens)).size).toBe(1);
    expect(exchanges() - before).toBe(1);
  });

  it('after the token expires: again exactly one exchange for the fleet, and one new token', async () => {
    // Tokens of their own short lifetime (a separate cached token: the cache key holds the ttl).
    const [first] = await burst(TOKEN_TTL_S);
    const old = first!.tokens[0];
    const before = exchanges();
    await new Promise((resolve) => setTimeout(resolve, TOKEN_TTL_S * 1000 + 100));

    const answers = await burst(TOKEN_TTL_S);

    expect(answers.flatMap((a) => a.failures)).toEqual([]);
    const tokens = new Set(answers.flatMap((a) => a.tokens));
    expect(tokens.size).toBe(1);
    expect(tokens.has(old!)).toBe(false);
    expect(exchanges() - before).toBe(1);
  });
});

describe('one nonce history for the fleet', () => {
  it('a signed call accepted by one process is refused as a replay by another', async () => {
    const { appId, appSecret } = sandbox.credentials;
    const signed = await signRequest(
      { appId, appSecret },
      { method: 'POST', url: 'http://127.0.0.1/hooks/aura', body: '{"event":"upload.completed"}' },
    );
    const request = {
      method: signed.method,
      url: '/hooks/aura',
      headers: signed.headers,
      body: typeof signed.body === 'string' ? signed.body : Buffer.from(signed.body!).toString(),
    };
    type Verified = { result: { ok: boolean; status?: number; code?: string } };

    const onA = await fleet[0]!.send<Verified>('verify', { request });
    const onB = await fleet[1]!.send<Verified>('verify', { request });
    const onAAgain = await fleet[0]!.send<Verified>('verify', { request });

    expect(onA.result).toEqual({ ok: true, appId });
    expect(onB.result).toMatchObject({ ok: false, status: 401, code: 'replayed_nonce' });
    expect(onAAgain.result).toMatchObject({ ok: false, status: 401, code: 'replayed_nonce' });
    // Kept for 2 × skew + 1 s (skew 300 s), per app id.
    const [key] = await admin.keys(`aura:nonce:${appId}:*`);
    expect(await admin.pttl(key!)).toBeGreaterThan(600_000);
    expect(await admin.pttl(key!)).toBeLessThanOrEqual(601_000);
  });
});

describe('one re-auth budget for the fleet', () => {
  it('4 re-authentications per window anywhere; the 5th, in whichever process, fails', async () => {
    await Promise.all(fleet.map((worker) => worker.send('config'))); // a token everywhere
    const outcomes: Array<{ ok: boolean; error?: string }> = [];
    const before = exchanges();
    for (let round = 0; round < 5; round++) {
      // Aura rejects the token once: the process that gets the 401 re-authenticates.
      sandbox.fault({ path: '/uploader/config', status: 401 });
      outcomes.push(await fleet[round % 2]!.send('config'));
    }

    expect(outcomes.slice(0, 4)).toEqual([{ ok: true }, { ok: true }, { ok: true }, { ok: true }]);
    expect(outcomes[4]).toEqual({ ok: false, error: 'reauth_budget_exhausted' });
    expect(exchanges() - before).toBe(4);
  });
});

describe('one per-user rate limit for the fleet', () => {
  it('two processes behind the same routes: the limit counts across both', async () => {
    const [a, b] = await Promise.all(
      [fleet[2]!, fleet[3]!].map((w) => w.send<{ url: string }>('serve', { max: 3 })),
    );
    const mint = (url: string, user: string) =>
      fetch(`${url}/aura/upload-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': user },
        body: '{}',
      });

    const statuses: number[] = [];
    for (const url of [a!.url, b!.url, a!.url, b!.url]) {
      const response = await mint(url, 'alice');
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    const limited = await mint(b!.url, 'alice');
    const otherUser = await mint(b!.url, 'bob');

    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(otherUser.status).toBe(200);
  });
});
