/**
 * Runs the test app for real inside workerd (Miniflare), Bun and Deno: bundled from the sources
 * with esbuild under each runtime's export conditions (so `@aura/core` resolves as it would in
 * that runtime: its WebCrypto build on workerd), started once, listening on 127.0.0.1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

export type RuntimeName = 'workerd' | 'bun' | 'deno' | 'node-hono-4.0';

export interface RunningApp {
  url: string;
  /** `node:` modules the bundle imports (none may reach a Worker). */
  nodeImports: string[];
  /** The Hono versions our code was bundled with (from esbuild's metafile). */
  honoVersions: string[];
  stop(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, '../..');
const STARTUP_DEADLINE_MS = 30_000;

const targets = {
  workerd: {
    entry: 'worker.ts',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
  },
  bun: { entry: 'bun.ts', platform: 'node', conditions: ['bun'] },
  deno: { entry: 'deno.ts', platform: 'node', conditions: ['deno'] },
  // The oldest Hono the peer range admits, on Node through @hono/node-server.
  'node-hono-4.0': {
    entry: 'node.ts',
    platform: 'node',
    conditions: ['node'],
    oldestHono: true,
  },
} as const;

/** The version of Hono installed under `name` (the dev dependency, or its oldest-4.x alias). */
export function installedHono(name: 'hono' | 'hono-oldest'): string {
  const manifest = path.join(packageDir, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** The binary the npm package installed (workerd: Miniflare's), or why it cannot be used. */
export function runtimeBinary(runtime: RuntimeName): { path: string } | { missing: string } {
  if (runtime === 'node-hono-4.0') return { path: process.execPath };
  let binary = path.join(packageDir, 'node_modules', '.bin', runtime);
  if (runtime === 'workerd') {
    try {
      // From where pnpm's link points: `workerd` is miniflare's own dependency, beside it in the
      // store, not under this package's node_modules.
      const fromMiniflare = createRequire(
        realpathSync(path.join(packageDir, 'node_modules/miniflare/package.json')),
      );
      binary = (fromMiniflare('workerd') as { default: string }).default;
    } catch (error) {
      return { missing: `miniflare's workerd could not be found (${(error as Error).message})` };
    }
  }
  const carrier = runtime === 'workerd' ? 'miniflare' : runtime;
  return existsSync(binary)
    ? { path: binary }
    : { missing: `${binary} is not installed (the "${carrier}" dev dependency carries it)` };
}

/**
 * `hono` → the `hono-oldest` dev dependency (Hono 4.0.0) for our code and the test app;
 * @hono/node-server keeps the Hono it was built for, since it only calls `app.fetch`.
 */
const oldestHono: Plugin = {
  name: 'oldest-hono',
  setup(build) {
    build.onResolve({ filter: /^hono(?:\/|$)/ }, (args) => {
      if (args.importer.includes(`${path.sep}@hono${path.sep}node-server${path.sep}`)) return;
      return build.resolve(args.path.replace(/^hono/, 'hono-oldest'), {
        kind: args.kind,
        resolveDir: packageDir,
      });
    });
  },
};

async function bundle(runtime: RuntimeName, dir: string) {
  const target = targets[runtime];
  const outfile = path.join(dir, 'app.mjs');
  const result = await build({
    entryPoints: [path.join(packageDir, 'test', 'runtimes', target.entry)],
    outfile,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: target.platform,
    conditions: [...target.conditions],
    plugins: 'oldestHono' in target ? [oldestHono] : [],
    mainFields: ['module', 'main'],
    // Kept as imports, so that the test can see whether any reached the bundle.
    external: ['node:*'],
    metafile: true,
    logLevel: 'silent',
  });
  const nodeImports = Object.values(result.metafile.outputs)
    .flatMap((output) => output.imports)
    .filter((imported) => imported.path.startsWith('node:'))
    .map((imported) => imported.path);
  // The Hono our own code was bundled with (the server adapter may bring its own).
  const honoVersions = Object.entries(result.metafile.inputs)
    .filter(([file]) => /(?:^|[\\/])src[\\/]/.test(file) && !file.includes('node_modules'))
    .flatMap(([, input]) => input.imports.map((imported) => imported.path))
    .map((imported) => /[\\/]hono@(\d+\.\d+\.\d+)[\\/]/.exec(imported)?.[1])
    .filter((version) => version !== undefined);
  return {
    outfile,
    nodeImports: [...new Set(nodeImports)],
    honoVersions: [...new Set(honoVersions)],
  };
}

/** Waits for the child's "listening on <url>" line; its output so far explains a failure. */
function listeningUrl(child: ChildProcess, runtime: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`${runtime} ${why}:\n${output}`));
    };
    const timer = setTimeout(
      () => fail(`printed no URL within ${STARTUP_DEADLINE_MS} ms`),
      STARTUP_DEADLINE_MS,
    );
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('error', (error) => fail(`did not start: ${error.message}`));
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before listening`));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Bundles the app for `runtime` and starts it with the `AURA_*` variables in `env`. */
export async function startRuntime(
  runtime: RuntimeName,
  env: Record<string, string>,
): Promise<RunningApp> {
  const dir = await mkdtemp(path.join(tmpdir(), `aura-hono-${runtime}-`));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const { outfile, nodeImports, honoVersions } = await bundle(runtime, dir);
    if (runtime === 'workerd') {
      const { Miniflare } = await import('miniflare');
      const mf = new Miniflare({
        modules: true,
        scriptPath: outfile,
        modulesRoot: dir,
        compatibilityDate: '2025-09-01',
        // On Workers the configuration is the Worker's bindings: `c.env`, not `process.env`.
        bindings: env,
        host: '127.0.0.1',
        port: 0,
      });
      const url = await mf.ready;
      return {
        url: url.origin,
        nodeImports,
        honoVersions,
        stop: async () => {
          await mf.dispose();
          await cleanup();
        },
      };
    }
    const binary = runtimeBinary(runtime);
    if ('missing' in binary) throw new Error(binary.missing);
    const args = {
      deno: ['run', '--no-prompt', '--allow-net=127.0.0.1', '--allow-env', outfile],
      bun: ['run', outfile],
      'node-hono-4.0': [outfile],
    }[runtime];
    const child = spawn(binary.path, args, {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await listeningUrl(child, runtime);
      return {
        url,
        nodeImports,
        honoVersions,
        stop: async () => {
          await stopChild(child);
          await cleanup();
        },
      };
    } catch (error) {
      await stopChild(child);
      throw error;
    }
  } catch (error) {
    await cleanup();
    throw error;
  }
}
