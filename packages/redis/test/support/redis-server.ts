import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A real `redis-server` of the test's own: loopback, a free port, no persistence, in a temporary
 * folder. `kill()` ends it outright (SIGKILL), `pause()`/`resume()` freeze it (SIGSTOP/SIGCONT: a
 * server that holds connections but answers nothing), `restart()` brings a fresh, empty one back
 * on the same port. `cluster: true` starts it in cluster mode owning all 16384 slots, so that a
 * command whose keys span two slots fails with CROSSSLOT as on any Redis Cluster.
 */
export interface RedisServer {
  port: number;
  url: string;
  kill(): Promise<void>;
  pause(): void;
  resume(): void;
  restart(): Promise<void>;
  close(): Promise<void>;
}

const START_DEADLINE_MS = 10_000;

export function redisServerMissing(): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error === undefined && probe.status === 0) return undefined;
  return 'redis-server is not installed: run `bash scripts/ensure-system-deps.sh` as root';
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startRedisServer(options: { cluster?: boolean } = {}): Promise<RedisServer> {
  const missing = redisServerMissing();
  if (missing !== undefined) throw new Error(missing);
  const dir = mkdtempSync(path.join(tmpdir(), 'aura-redis-test-'));
  const port = await freePort();
  let child: ChildProcess | undefined;

  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--loglevel',
    'notice',
  ];
  if (options.cluster) {
    // A lone node never learns its own address from peers: announce it, or CLUSTER SLOTS names
    // an empty host and a cluster client cannot connect.
    args.push(
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      path.join(dir, 'nodes.conf'),
      '--cluster-announce-ip',
      '127.0.0.1',
    );
  }

  async function start(): Promise<void> {
    rmSync(path.join(dir, 'nodes.conf'), { force: true });
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server not ready in ${START_DEADLINE_MS} ms:\n${output}`)),
        START_DEADLINE_MS,
      );
      const onData = (chunk: Buffer) => {
        output += chunk;
        if (/Ready to accept connections/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      started.stdout?.on('data', onData);
      started.stderr?.on('data', onData);
      started.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
    if (options.cluster) await claimAllSlots(port);
  }

  async function stop(signal: NodeJS.Signals): Promise<void> {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGCONT');
    running.kill(signal);
    await exited;
  }

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => stop('SIGKILL'),
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    restart: async () => {
      await stop('SIGKILL');
      await start();
    },
    close: async () => {
      await stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A one-node cluster: this node owns every slot, and says `cluster_state:ok`. */
async function claimAllSlots(port: number): Promise<void> {
  const { Redis } = await import('ioredis');
  const admin = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await admin.connect();
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    const deadline = Date.now() + START_DEADLINE_MS;
    while (!String(await admin.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) {
      if (Date.now() > deadline) throw new Error('the one-node cluster never became ok');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    admin.disconnect();
  }
}
