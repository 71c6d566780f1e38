// Cold start: how many exchanges 1000 concurrent callers cause, in one process (the in-memory
// token cache) and spread over 4 processes sharing @aura/redis's token store. Counted from the
// sandbox's request log, not from the clients. Goal: 1 each. Prints one JSON line.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startSandbox } from '@aura/sandbox';
import { startRedis } from '../frameworks/redis.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const CALLERS = 1000;

function caller(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'caller.mjs')], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`herd caller exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)));
    });
  });
}

async function herd(processes, redisUrl) {
  const sandbox = await startSandbox({ logLimit: 100_000 });
  try {
    const env = {
      ...process.env,
      AURA_BASE_URL: sandbox.apiUrl,
      AURA_APP_ID: sandbox.credentials.appId,
      AURA_APP_SECRET: sandbox.credentials.appSecret,
      AURA_API_KEY: sandbox.credentials.apiKey,
      BENCH_CALLERS: String(CALLERS / processes),
      BENCH_START_AT: String(Date.now() + 1500),
      ...(redisUrl ? { BENCH_REDIS_URL: redisUrl } : {}),
    };
    const results = await Promise.all(Array.from({ length: processes }, () => caller(env)));
    const exchanges = sandbox.requests().filter((r) => r.path.endsWith('/auth/exchange')).length;
    return {
      callers: CALLERS,
      processes,
      store: redisUrl ? 'redis' : 'memory',
      exchanges,
      failed: results.reduce((s, r) => s + r.failed, 0),
    };
  } finally {
    await sandbox.close();
  }
}

const redis = await startRedis();
try {
  const one = await herd(1);
  const fleet = redis ? await herd(4, redis.url) : { skipped: 'redis-server is not installed' };
  process.stdout.write(`${JSON.stringify({ oneProcess: one, fourProcessesRedis: fleet })}\n`);
} finally {
  redis?.stop();
}
