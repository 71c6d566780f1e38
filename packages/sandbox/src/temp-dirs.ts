import { rmSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/*
 * A sandbox started without `dataDir` keeps tus files in `<tmp>/aura-sandbox-<pid>-XXXXXX`.
 * `close()` removes it; so do the process's exit and its exit signals (a test runner or a script
 * stopped with Ctrl+C never calls `close()`). A process killed outright (SIGKILL, a crash of
 * the host) cannot clean up: the next sandbox started on the machine removes the folders whose
 * process is gone.
 */

const PREFIX = 'aura-sandbox-';
const OWNED = /^aura-sandbox-(\d+)-[A-Za-z0-9]+$/;
/** Folders from before the pid was in the name: removed once they are this old. */
const LEGACY = /^aura-sandbox-[A-Za-z0-9]{6}$/;
const LEGACY_AGE_MS = 24 * 60 * 60 * 1000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const live = new Set<string>();
let installed = false;

function removeLiveSync(): void {
  for (const dir of live) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Exiting anyway: whatever stays is removed by the next start.
    }
  }
  live.clear();
}

/**
 * On an exit signal: remove the folders, then, when nobody else listens for the signal, do what
 * the signal would have done without this listener (end the process by it).
 */
function onSignal(signal: NodeJS.Signals): void {
  removeLiveSync();
  if (process.listenerCount(signal) === 1) {
    uninstall();
    process.kill(process.pid, signal);
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', removeLiveSync);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', removeLiveSync);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the folders of sandboxes whose process is gone; never fails a start. */
export async function removeStaleDirs(now = Date.now()): Promise<void> {
  const root = tmpdir();
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return;
  }
  await Promise.all(
    names
      .filter((name) => name.startsWith(PREFIX))
      .map(async (name) => {
        const dir = path.join(root, name);
        const owned = OWNED.exec(name);
        try {
          if (owned !== null) {
            if (processAlive(Number(owned[1]))) return;
          } else if (LEGACY.test(name)) {
            if (now - (await stat(dir)).mtimeMs < LEGACY_AGE_MS) return;
          } else {
            return;
          }
          await rm(dir, { recursive: true, force: true });
        } catch {
          // Another sandbox removing it at the same time, or not ours to remove: leave it.
        }
      }),
  );
}

/** A new temporary folder for this process, removed at exit if `release` was not called. */
export async function makeTempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `${PREFIX}${process.pid}-`));
  live.add(dir);
  install();
  return dir;
}

/** Removes the folder now and stops watching for it. */
export async function releaseTempDir(dir: string): Promise<void> {
  live.delete(dir);
  if (live.size === 0) uninstall();
  await rm(dir, { recursive: true, force: true });
}
