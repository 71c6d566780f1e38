/**
 * Redis going away under a running fleet, and coming back: two `node` processes, a real
 * redis-server that the test freezes (SIGSTOP: connected but silent), kills (SIGKILL) and
 * restarts empty on the same port, and a real sandbox counting exchanges.
 */
import { signRequest } from '@aura/core';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker, startWorker, type Worker } from './support/fleet';
import { type RedisServer, startRedisServer } from './support/redis-server';

/** Each Redis call's deadline in the workers. */
const TIMEOUT_MS = 300;
/**
 * What "answers within the deadline" allows on top, for scheduling on a busy 2-core machine. The
 * sum stays below the verifier's own deadline (2000 ms), so a pass shows this package's deadline
 * at work, not the verifier's.
 */
const SLACK_MS = 1_200;

let redis: RedisServer;
let sandbox: Sandbox;
let bundle: { file: string; remove(): void };
let a: Worker;
let b: Worker;

beforeAll(async () => {
  [redis, sandbox, bundle] = await Promise.all([
    startRedisServer(),
    startSandbox({ rateLimits: { exchange: 10_000, config: 10_000 } }),
    bundleWorker(),
  ]);
  const { appId, appSecret, apiKey } = sandbox.credentials;
  const env = {
    REDIS_URL: redis.url,
    REDIS_TIMEOUT_MS: String(TIMEOUT_MS),
    AURA_BASE_URL: sandbox.apiUrl,
    AURA_APP_ID: appId,
    AURA_APP_SECRET: appSecret,
    AURA_API_KEY: apiKey,
  };
  [a, b] = await Promise.all([startWorker(bundle.file, env), startWorker(bundle.file, env)]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([redis?.close(), sandbox?.close()]);
  bundle?.remove();
});

const exchanges = () =>
  sandbox.requests().filter((r) => r.path === '/api/auth/exchange' && r.status === 200).length;

type TokensAnswer = { tokens: string[]; failures: string[]; ms: number };
type Verified = { result: { ok: boolean; status?: number; code?: string }; ms: number };

/** A freshly signed inbound call (its own nonce), as a worker's verifier receives it. */
async function signedCall() {
  const { appId, appSecret } = sandbox.credentials;
  const signed = await signRequest(
    { appId, appSecret },
    { method: 'POST', url: 'http://127.0.0.1/hooks/aura', body: '{"n":1}' },
  );
  const body = typeof signed.body === 'string' ? signed.body : Buffer.from(signed.body!).toString();
  return { method: signed.method, url: '/hooks/aura', headers: signed.headers, body };
}

async function tokensEverywhere(n: number): Promise<TokensAnswer[]> {
  return Promise.all([a, b].map((w) => w.send<TokensAnswer>('tokens', { n })));
}

describe('Redis fails under a running fleet', () => {
  let shared: string;

  it('while Redis is up: one token for both processes', async () => {
    const answers = await tokensEverywhere(50);
    const tokens = new Set(answers.flatMap((x) => x.tokens));
    expect(answers.flatMap((x) => x.failures)).toEqual([]);
    expect(tokens.size).toBe(1);
    expect(exchanges()).toBe(1);
    shared = [...tokens][0]!;
  });

  it('Redis frozen (connected, silent): tokens still served, nonce checks 503 within the deadline', async () => {
    redis.pause();
    try {
      const [tokens, verified] = await Promise.all([
        tokensEverywhere(50),
        a.send<Verified>('verify', { request: await signedCall() }),
      ]);

      expect(tokens.flatMap((x) => x.failures)).toEqual([]);
      expect(new Set(tokens.flatMap((x) => x.tokens))).toEqual(new Set([shared]));
      for (const answer of tokens) expect(answer.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      expect(verified.result).toMatchObject({
        ok: false,
        status: 503,
        code: 'nonce_store_unavailable',
      });
      expect(verified.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    } finally {
      redis.resume();
    }
  });

  it('Redis killed: tokens still served from each process, nonce checks 503 at once, nothing hangs', async () => {
    await redis.kill();
    const before = exchanges();

    const [tokens, verifiedA, verifiedB] = await Promise.all([
      tokensEverywhere(100),
      a.send<Verified>('verify', { request: await signedCall() }),
      b.send<Verified>('verify', { request: await signedCall() }),
    ]);

    expect(tokens.flatMap((x) => x.failures)).toEqual([]);
    expect(new Set(tokens.flatMap((x) => x.tokens))).toEqual(new Set([shared]));
    expect(exchanges()).toBe(before);
    for (const verified of [verifiedA, verifiedB]) {
      expect(verified.result).toMatchObject({ status: 503, code: 'nonce_store_unavailable' });
      expect(verified.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    }
  });

  it('Redis restarted (empty): shared again, without restarting either process', async () => {
    await redis.restart();
    // The workers' ioredis reconnects by itself (within a second); wait until a verify passes.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = await a.send<Verified>('verify', { request: await signedCall() });
      if (probe.result.ok) break;
      if (Date.now() > deadline) throw new Error('process A never used Redis again');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (;;) {
      const probe = await b.send<Verified>('verify', { request: await signedCall() });
      if (probe.result.ok) break;
      if (Date.now() > deadline) throw new Error('process B never used Redis again');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const before = exchanges();

    const tokens = await tokensEverywhere(100);
    const request = await signedCall();
    const onA = await a.send<Verified>('verify', { request });
    const onB = await b.send<Verified>('verify', { request });

    // The restarted Redis held no token: the fleet made one exchange for both, and shares it.
    expect(tokens.flatMap((x) => x.failures)).toEqual([]);
    expect(new Set(tokens.flatMap((x) => x.tokens)).size).toBe(1);
    expect(exchanges() - before).toBe(1);
    expect(onA.result.ok).toBe(true);
    expect(onB.result).toMatchObject({ ok: false, status: 401, code: 'replayed_nonce' });
  });
});
