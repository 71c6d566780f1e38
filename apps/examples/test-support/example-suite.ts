// What every example's test does: boot the example with its one command (a sandbox on a free
// port, then the server), drive it as a browser and a partner service would, stop it with
// SIGTERM. The examples themselves stay standalone copies (a user copies one folder); only their
// tests share this file, so the five prove the same things the same way.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** The banner's last line: everything before it has been printed too. */
const BANNER_END = /node call-hook\.js (http:\/\/127\.0\.0\.1:\d+)\/hooks\/aura\n/;

export interface RunningExample {
  readonly url: string;
  readonly output: string;
  readonly exited: Promise<number | null>;
  stop(signal: NodeJS.Signals): void;
}

/** Starts `node <entry>` in `dir` without any `AURA_*` from outside, until its banner is out. */
export function startExample(dir: string, entry: string, timeoutMs = 15_000) {
  // No AURA_* from the outside: the example must start its own sandbox.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AURA_')),
  );
  const child: ChildProcess = spawn(process.execPath, [entry], {
    cwd: dir,
    env: { ...env, PORT: '0', SANDBOX_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let output = '';
  return new Promise<RunningExample>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not listening within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const read = (chunk: Buffer) => {
      output += chunk;
      const url = BANNER_END.exec(output)?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      resolve({
        url,
        get output() {
          return output;
        },
        exited,
        stop: (signal) => child.kill(signal),
      });
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
}

/** A request to the running example, with a deadline. */
export function requestTo(example: RunningExample, pathname: string, init: RequestInit = {}) {
  return fetch(`${example.url}${pathname}`, { ...init, signal: AbortSignal.timeout(5000) });
}

/** Runs the example's `call-hook.js` (the partner service) against its hook; its stdout. */
export async function callHook(example: RunningExample, dir: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['call-hook.js', `${example.url}/hooks/aura`], {
    cwd: dir,
    timeout: 15_000,
  });
  return stdout.trim();
}

/**
 * The upload-token route: 200 with exactly `{ token, expires_at, scopes }` for the demo's
 * signed-in user, 401 without one. Answers the 401 response for more checks.
 */
export async function expectTokenOnlyForSignedIn(example: RunningExample): Promise<Response> {
  const alice = await requestTo(example, '/api/aura/upload-token', {
    method: 'POST',
    headers: { 'x-demo-user': 'alice' },
  });
  expect(alice.status).toBe(200);
  const answer = (await alice.json()) as { token: string; expires_at: string; scopes: string[] };
  expect(Object.keys(answer).sort()).toEqual(['expires_at', 'scopes', 'token']);
  expect(answer.token).toMatch(/^aubt_/);
  expect(answer.scopes.sort()).toEqual(['integration:read', 'upload:init', 'upload:manage']);

  const nobody = await requestTo(example, '/api/aura/upload-token', { method: 'POST' });
  expect(nobody.status).toBe(401);
  return nobody;
}

export interface ExampleSuite {
  /** Folder name under apps/examples. */
  name: string;
  /** How the server's banner names it ("Express example listening on …"). */
  title: string;
  /** The example's folder. */
  dir: string;
}

/** The whole test of a plain-JavaScript example (`node start.js`). */
export function describeExample({ name, title, dir }: ExampleSuite): void {
  let example: RunningExample;

  beforeAll(async () => {
    example = await startExample(dir, 'start.js');
  }, 20_000);

  afterAll(() => {
    example?.stop('SIGKILL');
  });

  describe(`apps/examples/${name}`, () => {
    it('started a sandbox and printed how to call it', () => {
      expect(example.output).toMatch(/Aura sandbox on http:\/\/127\.0\.0\.1:\d+\/api/);
      expect(example.output).toContain(`${title} example listening on ${example.url}`);
      expect(example.output).toContain(`${example.url}/api/aura/upload-token`);
    });

    it('hands a signed-in user an upload token, and no one else', async () => {
      await expectTokenOnlyForSignedIn(example);
    });

    it('serves the uploader config behind requireAuraToken', async () => {
      const response = await requestTo(example, '/uploads/config');

      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ lift: { endpoint: expect.any(String) } });
    });

    it('takes a signed call from billing-worker (call-hook.js), and refuses an unsigned one', async () => {
      expect(await callHook(example, dir)).toBe(
        '200 {"from":"billing-worker","got":{"event":"invoice.paid","invoice":"inv_123"}}',
      );

      const unsigned = await requestTo(example, '/hooks/aura', { method: 'POST', body: '{}' });
      expect(unsigned.status).toBe(401);
    });

    it('stops cleanly on SIGTERM', async () => {
      example.stop('SIGTERM');
      expect(await example.exited).toBe(0);
    });
  });
}
