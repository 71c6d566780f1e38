// `node scripts/start.mjs` as `pnpm start` runs it (with --no-build: turbo built the packages
// before the tests): one URL printed, PORT honoured, a taken port named in one clear message.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const START = path.resolve(here, '../scripts/start.mjs');
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.clear();
});

function start(port: number): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [START, '--no-build'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return { child, output: () => output };
}

function waitFor(run: ReturnType<typeof start>, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within 20 s:\n${run.output()}`)),
      20_000,
    );
    const check = () => {
      const match = pattern.exec(run.output());
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    run.child.stdout?.on('data', check);
    run.child.stderr?.on('data', check);
    run.child.once('exit', (code) => {
      check();
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${run.output()}`));
    });
  });
}

it('prints one URL to open, serves the page there, and stops cleanly on SIGTERM', async () => {
  const run = start(0);
  const [, url] = await waitFor(run, /Aura playground: open (http:\/\/127\.0\.0\.1:\d+\/)\n/);

  const page = await fetch(url!);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<title>Aura playground</title>');
  // One URL to open; the sandbox's address is an aside, not a second thing to open.
  expect(run.output().match(/open http/g)).toHaveLength(1);

  const exited = new Promise<number | null>((resolve) => run.child.once('exit', resolve));
  run.child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(run.output()).toContain('Playground stopped.');
});

it('honours PORT, and names a taken port with the way out', async () => {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const run = start(port);
    const exited = await new Promise<number | null>((resolve) => run.child.once('exit', resolve));

    expect(exited).toBe(1);
    expect(run.output().trim()).toBe(
      `port ${port} is already in use: stop what runs there, or start the playground on another port with PORT=<n> (PORT=0 picks a free one)`,
    );
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});
