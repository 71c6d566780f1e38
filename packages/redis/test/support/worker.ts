/**
 * One instance of a partner's app, run as its own `node` process by the fleet tests (bundled
 * from the sources by `fleet.ts`). It makes one AuraClient and one `createAuraRedis`, then
 * answers commands read as JSON lines on stdin with JSON lines on stdout.
 */
import { createInterface } from 'node:readline';
import { AuraClient, isAuraError, verifyRequest } from '@aura/core';
import { auraRouter } from '@aura/express';
import { createAuraRedis } from '@aura/redis';
import express from 'express';

const env = process.env;
const need = (name: string) => {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`worker: ${name} is not set`);
  return value;
};

const aura = createAuraRedis(need('REDIS_URL'), {
  timeoutMs: Number(env.REDIS_TIMEOUT_MS ?? 500),
  onError: () => {},
});
/** One client per token lifetime (each its own cached token; the re-auth budget is per app). */
const clients = new Map<number, AuraClient>();
function clientFor(tokenTtl = 3600): AuraClient {
  let client = clients.get(tokenTtl);
  if (client === undefined) {
    client = new AuraClient({
      baseUrl: need('AURA_BASE_URL'),
      appId: need('AURA_APP_ID'),
      appSecret: need('AURA_APP_SECRET'),
      apiKey: need('AURA_API_KEY'),
      tokenTtl,
      tokenStore: aura.tokenStore,
      reauthStore: aura.reauthStore,
      retry: { attempts: 1 },
    });
    clients.set(tokenTtl, client);
  }
  return client;
}
const client = clientFor();
const secrets = { [need('AURA_APP_ID')]: need('AURA_APP_SECRET') };

type Command = { id: number; op: string; [key: string]: unknown };

const ops: Record<string, (command: Command) => Promise<unknown>> = {
  // `n` concurrent callers of getAccessToken() (tokens of `ttl` s, default 3600): the distinct
  // tokens they got, and failures.
  async tokens({ n, ttl }) {
    const client = clientFor(ttl === undefined ? undefined : Number(ttl));
    const started = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: Number(n) }, () => client.getAccessToken()),
    );
    const tokens = new Set<string>();
    const failures: string[] = [];
    for (const result of results) {
      if (result.status === 'fulfilled') tokens.add(result.value);
      else failures.push(describe(result.reason));
    }
    return { tokens: [...tokens], failures, ms: performance.now() - started };
  },
  // The core's verifier on a request signed by the test, with the fleet's nonce store.
  async verify({ request }) {
    const started = performance.now();
    const result = await verifyRequest(request as Parameters<typeof verifyRequest>[0], {
      secrets,
      nonceStore: aura.nonceStore,
    });
    return { result, ms: performance.now() - started };
  },
  // A bearer call: a 401 the sandbox was told to answer makes the client re-authenticate.
  async config() {
    try {
      await client.getUploaderConfig();
      return { ok: true };
    } catch (error) {
      return { ok: false, error: describe(error) };
    }
  },
  // The partner's routes, with the fleet's per-user limit.
  async serve({ max }) {
    const app = express();
    app.use(
      '/aura',
      auraRouter({
        client,
        authorize: (req) => {
          const user = req.get('x-user');
          return user ? { id: user } : null;
        },
        rateLimit: { max: Number(max), windowMs: 60_000, store: aura.rateLimitStore },
      }),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    return { url: `http://127.0.0.1:${address.port}` };
  },
  async exit() {
    await aura.close();
    setImmediate(() => process.exit(0));
    return { bye: true };
  },
};

function describe(error: unknown): string {
  return isAuraError(error) ? error.code : String((error as Error)?.message ?? error);
}

function reply(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

await aura.ready(10_000);
createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as Command;
  const op = ops[command.op];
  if (op === undefined) {
    reply({ id: command.id, error: `unknown op ${command.op}` });
    return;
  }
  op(command).then(
    (value) => reply({ id: command.id, value }),
    (error: unknown) => reply({ id: command.id, error: describe(error) }),
  );
});
reply({ ready: true });
