import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/args';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');

describe('parseCliArgs', () => {
  it('defaults to port 4010 and nothing else', () => {
    expect(parseCliArgs([])).toEqual({ help: false, options: { port: 4010 } });
  });

  it('reads every flag, repeatable ones included', () => {
    const parsed = parseCliArgs([
      '--port',
      '0',
      '--host',
      '127.0.0.2',
      '--app',
      'a:b:c',
      '--app',
      'd:e:f',
      '--cors',
      'http://localhost:3000',
      '--cors',
      'http://localhost:5173',
      '--rate-limit',
      'exchange=100',
      '--rate-limit',
      'lifecycle=5',
      '--data-dir',
      '/tmp/x',
      '--capture-key',
      'ck:proj:My project',
      '--skew',
      '60',
    ]);
    expect(parsed).toEqual({
      help: false,
      options: {
        port: 0,
        host: '127.0.0.2',
        apps: [
          { appId: 'a', appSecret: 'b', apiKey: 'c' },
          { appId: 'd', appSecret: 'e', apiKey: 'f' },
        ],
        cors: ['http://localhost:3000', 'http://localhost:5173'],
        rateLimits: { exchange: 100, lifecycle: 5 },
        dataDir: '/tmp/x',
        captureKeys: { ck: { id: 'proj', name: 'My project' } },
        skewSeconds: 60,
      },
    });
  });

  it('reads --strict-uploads and --allow-host', () => {
    expect(
      parseCliArgs(['--strict-uploads', '--allow-host', 'sandbox', '--allow-host', 'aura']),
    ).toEqual({
      help: false,
      options: { port: 4010, strictUploads: true, allowedHosts: ['sandbox', 'aura'] },
    });
  });

  it('issue 9: takes the port from AURA_SANDBOX_PORT, else PORT, unless --port is given', () => {
    const port = (argv: string[], env: Record<string, string>) => {
      const parsed = parseCliArgs(argv, env);
      return parsed.help ? undefined : parsed.options.port;
    };
    expect(port([], { PORT: '5000' })).toBe(5000);
    expect(port([], { PORT: '5000', AURA_SANDBOX_PORT: '0' })).toBe(0);
    expect(port([], { PORT: '', AURA_SANDBOX_PORT: ' ' })).toBe(4010);
    expect(port(['--port', '7000'], { PORT: '5000', AURA_SANDBOX_PORT: '6000' })).toBe(7000);
    expect(() => parseCliArgs([], { PORT: '70000' })).toThrow(/PORT must be a port/);
    expect(() => parseCliArgs([], { AURA_SANDBOX_PORT: '-1' })).toThrow(/AURA_SANDBOX_PORT/);
  });

  it('answers help', () => {
    expect(parseCliArgs(['--help'])).toEqual({ help: true });
    expect(parseCliArgs(['-h'])).toEqual({ help: true });
  });

  it.each([
    [['--port', 'abc']],
    [['--port', '70000']],
    [['--app', 'only:two']],
    [['--rate-limit', 'upload=5']],
    [['--rate-limit', 'exchange=0']],
    [['--bogus']],
    [['stray']],
  ])('refuses %j', (argv) => {
    expect(() => parseCliArgs(argv)).toThrow();
  });
});

describe('the built bin', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  function start(args: string[]): Promise<{ url: string; output: () => string }> {
    if (!existsSync(CLI)) {
      throw new Error(
        `${CLI} is missing: build the package first (pnpm --filter @aura/sandbox build)`,
      );
    }
    const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let out = '';
    proc.stdout!.on('data', (c) => {
      out += c;
    });
    proc.stderr!.on('data', (c) => {
      out += c;
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed in 5 s:\n${out}`)), 5000);
      proc.stdout!.on('data', () => {
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+\/api)/.exec(out);
        if (match !== null) {
          clearTimeout(timer);
          resolve({ url: match[1]!, output: () => out });
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code}:\n${out}`));
      });
    });
  }

  it('starts on --port 0, prints its real URL and the credentials, answers health, and exits cleanly on SIGTERM', async () => {
    // How fast it starts is a benchmark's question; here `start` only has a deadline.
    const { url, output } = await start(['--port', '0']);
    expect(url).not.toContain(':0/');
    for (const text of ['aura_pk_sandbox', 'aura_sk_sandbox', 'aura_au_sandbox', '/files/']) {
      expect(output()).toContain(text);
    }
    const health = await fetch(`${url.replace(/\/api$/, '')}/_sandbox/health`);
    expect(await health.json()).toMatchObject({ ok: true, apiUrl: url });

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('Sandbox stopped.');
  });

  it('exits cleanly on SIGINT too', async () => {
    await start(['--port', '0']);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child!.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('prints help, and refuses a bad flag with exit code 2', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const proc = spawn(process.execPath, [CLI, ...args]);
        let out = '';
        proc.stdout.on('data', (c) => {
          out += c;
        });
        proc.stderr.on('data', (c) => {
          out += c;
        });
        proc.on('exit', (code) => resolve({ code, out }));
      });
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('--rate-limit');
    const bad = await run(['--port', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('--port expects');
  });
});
