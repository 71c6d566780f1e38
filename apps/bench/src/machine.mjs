// What the bench's runs share about this machine and its Workers: pinning to a CPU with
// `taskset` when the system has it, and bundling a Worker the way workerd loads one.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Whether `taskset` can pin a process here (without it nothing is pinned, and the results say so). */
export const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** `[command, args]` that runs `args` on CPU `cpu` when it can be pinned, else as it is. */
export const pinned = (cpu, args) =>
  hasTaskset ? ['taskset', ['-c', String(cpu), ...args]] : [args[0], args.slice(1)];

const benchModules = path.join(
  path.dirname(new URL(import.meta.url).pathname),
  '..',
  'node_modules',
);

/**
 * Bundles `entry` into `outfile` as a Worker: ESM, the workerd conditions (so `@aura/core` is its
 * web build), dependencies resolved from this package.
 */
export async function bundleWorker(entry, outfile) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    nodePaths: [benchModules],
    logLevel: 'silent',
  });
}
