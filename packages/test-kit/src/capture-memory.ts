/**
 * The memory scenario's parent side: bundles the adapter's capture mount module (workspace
 * packages from their sources, everything else left to Node's resolution from the adapter's
 * folder), runs it in a child process with `--expose-gc`, uploads 50 MB through it in 64 KiB
 * chunks, and answers the child's memory before, at its peak during, and after the upload.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaptureEvent } from '@aura/core';
import { build } from 'esbuild';

export interface MemoryCheck {
  /** Absolute path of a module exporting a `CaptureMount` (see `capture-mount.ts`). */
  module: string;
  /** The export's name; default `captureMount`. */
  mount?: string;
  /**
   * The upload's type; default `application/json`, so capture would keep the body if it could
   * (a platform whose own parser would read JSON first may send `application/octet-stream`).
   */
  contentType?: string;
}

export interface MemoryResult {
  uploaded: number;
  answer: unknown;
  event: CaptureEvent;
  /** Largest growth of the JS heap while the upload streamed, in bytes. */
  heapGrowth: number;
  /** Largest growth of the resident set while the upload streamed, in bytes. */
  rssGrowth: number;
  /** Largest growth of Buffer memory while the upload streamed, in bytes. */
  bufferGrowth: number;
  /** Growth of the resident set once the upload is over and garbage collected, in bytes. */
  rssAfterGrowth: number;
}

const UPLOAD_BYTES = 50 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const here = path.dirname(fileURLToPath(import.meta.url));
const packagesDir = path.resolve(here, '../..');

/** `@aura/<name>` → its `src/index.ts`; `@aura/test-kit` → the mount contract alone. */
function workspaceSource(specifier: string): string | undefined {
  if (specifier === '@aura/test-kit') return path.join(here, 'capture-mount.ts');
  for (const dir of readdirSync(packagesDir)) {
    const manifest = path.join(packagesDir, dir, 'package.json');
    const entry = path.join(packagesDir, dir, 'src', 'index.ts');
    if (!existsSync(manifest) || !existsSync(entry)) continue;
    if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name: string }).name === specifier) {
      return entry;
    }
  }
  return undefined;
}

/** The folder holding the nearest package.json: bare imports resolve from there. */
function packageRoot(file: string): string {
  let dir = path.dirname(file);
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

async function bundle(check: MemoryCheck): Promise<string> {
  const outDir = path.join(
    packageRoot(check.module),
    'node_modules',
    '.cache',
    'aura-capture-memory',
  );
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, `child-${randomUUID()}.mjs`);
  await build({
    stdin: {
      contents: [
        `import { ${check.mount ?? 'captureMount'} as captureMount } from ${JSON.stringify(check.module)};`,
        `import { runMemoryChild } from ${JSON.stringify(path.join(here, 'capture-memory-child.ts'))};`,
        'runMemoryChild(captureMount).catch((error) => { console.error(error); process.exit(1); });',
      ].join('\n'),
      resolveDir: path.dirname(check.module),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
    banner: {
      js: "import { createRequire as __auraRequire } from 'node:module'; const require = __auraRequire(import.meta.url);",
    },
    plugins: [
      {
        name: 'aura-workspace',
        setup(context) {
          context.onResolve({ filter: /^@aura\// }, (args) => {
            const source = workspaceSource(args.path);
            return source === undefined ? { external: true } : { path: source };
          });
          // Everything else that is not a relative path stays a Node import.
          context.onResolve({ filter: /^[^./]/ }, () => ({ external: true }));
        },
      },
    ],
  });
  return outfile;
}

/** POSTs `UPLOAD_BYTES` of JSON-typed bytes in chunks, honouring backpressure. */
function upload(url: string, mark: string, contentType: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${url}/upload`,
      {
        method: 'POST',
        headers: {
          'content-type': contentType,
          'content-length': String(UPLOAD_BYTES),
          'x-capture-mark': mark,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          try {
            resolve(JSON.parse(text));
          } catch {
            resolve(text);
          }
        });
      },
    );
    request.setTimeout(60_000, () => request.destroy(new Error('upload timed out')));
    request.on('error', reject);
    const chunk = Buffer.alloc(CHUNK_BYTES, 0x20);
    chunk[0] = 0x5b; // `[`: the bytes look like JSON, so capture would try to keep them
    let sent = 0;
    const pump = () => {
      while (sent < UPLOAD_BYTES) {
        const size = Math.min(CHUNK_BYTES, UPLOAD_BYTES - sent);
        sent += size;
        const ok = request.write(size === CHUNK_BYTES ? chunk : chunk.subarray(0, size));
        if (!ok) {
          request.once('drain', pump);
          return;
        }
      }
      request.end();
    };
    pump();
  });
}

export async function runMemoryCheck(check: MemoryCheck): Promise<MemoryResult> {
  const file = await bundle(check);
  const child = fork(file, [], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  child.on('message', (message) => {
    messages.push(message as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  const next = async (type: string): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const found = messages.findIndex((m) => m.type === type);
      if (found !== -1) return messages.splice(found, 1)[0]!;
      if (child.exitCode !== null) throw new Error(`the child exited (${child.exitCode})`);
      if (Date.now() > deadline) throw new Error(`the child never sent ${type}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  try {
    const { url } = (await next('listening')) as { url: string };
    // One small request first, so lazy start-up allocations are not counted as growth.
    const type = check.contentType ?? 'application/json';
    await upload(url, 'warm-up', type).catch(() => undefined);
    child.send({ type: 'warm' });
    await next('ready');
    const mark = randomUUID();
    const answer = await upload(url, mark, type);
    child.send({ type: 'measure', mark });
    const measured = (await next('measured')) as unknown as {
      before: { rss: number; heap: number; buffers: number };
      peak: { rss: number; heap: number; buffers: number };
      after: { rss: number; heap: number; buffers: number };
      event: CaptureEvent;
    };
    child.send({ type: 'close' });
    return {
      uploaded: UPLOAD_BYTES,
      answer,
      event: measured.event,
      heapGrowth: measured.peak.heap - measured.before.heap,
      rssGrowth: measured.peak.rss - measured.before.rss,
      bufferGrowth: measured.peak.buffers - measured.before.buffers,
      rssAfterGrowth: measured.after.rss - measured.before.rss,
    };
  } finally {
    setTimeout(() => child.kill(), 2000).unref();
    rmSync(file, { force: true });
  }
}
