// What the bench's runs share about this machine and its Workers: pinning to a CPU with
// `taskset` when the system has it, and bundling a Worker the way workerd loads one.
import { execFileSync, spawn } from 'node:child_process';
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

/**
 * Runs a part of the bench as a child process (its stderr shown as it goes) and resolves the
 * last line of its stdout, parsed as JSON: each part prints its figures there, last.
 */
export function runJsonChild(command, args, { cwd, env = {} }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)));
      } catch (error) {
        reject(new Error(`${args.at(-1)} printed no JSON: ${out.slice(-500)}`, { cause: error }));
      }
    });
  });
}
