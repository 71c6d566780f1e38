// One process of the herd: `BENCH_CALLERS` concurrent callers ask a cold client for its access
// token at once. With BENCH_REDIS_URL the client shares @aura/redis's token store with the
// other processes. Prints `{ ok, failed }` as one JSON line.
import { AuraClient } from '@aura/core';

const callers = Number(process.env.BENCH_CALLERS);
let stores = {};
let redis;
if (process.env.BENCH_REDIS_URL) {
  const { createAuraRedis } = await import('@aura/redis');
  redis = createAuraRedis(process.env.BENCH_REDIS_URL);
  stores = { tokenStore: redis.tokenStore, reauthStore: redis.reauthStore };
}
const client = AuraClient.fromEnv(process.env, stores);
// Every process starts its callers at the same wall-clock instant, so the herd is one herd.
const at = Number(process.env.BENCH_START_AT);
await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
const settled = await Promise.allSettled(
  Array.from({ length: callers }, () => client.getAccessToken()),
);
const failed = settled.filter((s) => s.status === 'rejected');
process.stdout.write(
  `${JSON.stringify({ ok: callers - failed.length, failed: failed.length, reason: failed[0]?.reason?.code })}\n`,
);
await redis?.close?.();
process.exit(0);
