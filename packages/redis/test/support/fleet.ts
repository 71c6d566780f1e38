import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { workspaceAliases } from '../../../../vitest.shared.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, '../..');
const READY_DEADLINE_MS = 15_000;
const STOP_DEADLINE_MS = 3_000;

/**
 * Bundles `worker.ts` with the workspace packages taken from their sources (as vitest does),
 * npm dependencies left as imports resolved from this package. The file goes under this
 * package's node_modules so that those imports resolve; `remove()` deletes it.
 */
export async function bundleWorker(): Promise<{ file: string; remove(): void }> {
  const dir = path.join(packageDir, 'node_modules', '.cache', `aura-redis-test-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'worker.mjs');
  await build({
    entryPoints: [path.join(here, 'worker.ts')],
    outfile: file,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    alias: workspaceAliases(),
    external: ['ioredis', 'rate-limiter-flexible', 'express'],
    logLevel: 'error',
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Worker {
  send<T = Record<string, unknown>>(op: string, args?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/** Starts one worker process and waits until its Redis connection and subscription are up. */
export async function startWorker(file: string, env: Record<string, string>): Promise<Worker> {
  const child: ChildProcess = spawn(process.execPath, [file], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let onReady: (() => void) | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as {
      id?: number;
      ready?: true;
      value?: unknown;
      error?: string;
    };
    if (message.ready) return onReady?.();
    const waiter = pending.get(message.id ?? -1);
    if (waiter === undefined) return;
    pending.delete(message.id!);
    if (message.error !== undefined) waiter.reject(new Error(message.error));
    else waiter.resolve(message.value);
  });
  child.once('exit', (code) => {
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`worker exited with ${code}:\n${stderr}`));
    }
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker not ready in ${READY_DEADLINE_MS} ms:\n${stderr}`)),
      READY_DEADLINE_MS,
    );
    onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before ready:\n${stderr}`));
    });
  });
  return {
    send(op, args = {}) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.stdin?.write(`${JSON.stringify({ id, op, ...args })}\n`);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // A clean close (its `aura.close()` must not hang), else the hard way.
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_DEADLINE_MS);
      child.stdin?.write(`${JSON.stringify({ id: 0, op: 'exit' })}\n`);
      await exited;
      clearTimeout(timer);
    },
  };
}
