// The built `aura-sandbox` bin and the built library, run as users run them (build first:
// npx turbo run build --filter=@aura/sandbox). Loopback only; every child is killed after.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../src/index';
import { getToken, randomBytesOf, tusUpload } from './helpers';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../dist/cli.js');
const LIB = path.resolve(here, '../dist/index.js');

function needBuild(file: string): void {
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: build first (npx turbo run build --filter=@aura/sandbox)`);
  }
}

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.clear();
});

interface Running {
  child: ChildProcess;
  output: () => string;
}

/** Spawns a node script and waits until its output matches `ready`. */
function spawnUntil(
  args: string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv = {},
): Promise<Running & { match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: '', AURA_SANDBOX_PORT: '', ...env },
  });
  children.add(child);
  let out = '';
  const output = () => out;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`nothing matched ${ready} in 5 s:\n${out}`)),
      5000,
    );
    const onData = (chunk: Buffer) => {
      out += chunk;
      const match = ready.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, output, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${out}`));
    });
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** GET through node:http with no keep-alive agent: the connection closes after the answer. */
function getWithoutKeepAlive(
  url: string,
  token: string,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { agent: false, headers: { Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the built aura-sandbox bin', () => {
  it('item 16: a GET of a finished tus file without keep-alive, and with it, leaves the sandbox serving', async () => {
    needBuild(CLI);
    const { child, output, match } = await spawnUntil(
      [CLI, '--port', '0'],
      /listening on (http:\/\/127\.0\.0\.1:(\d+))\/api/,
    );
    const url = match[1]!;
    const sb = {
      url,
      apiUrl: `${url}/api`,
      tusUrl: `${url}/files/`,
      credentials: {
        appId: 'aura_pk_sandbox',
        appSecret: 'aura_sk_sandbox',
        apiKey: 'aura_au_sandbox',
      },
    } as unknown as Sandbox;
    const token = await getToken(sb);
    for (const size of [10, 70_000, 200_000]) {
      const bytes = randomBytesOf(size, 9);
      const location = await tusUpload(sb.tusUrl, token, bytes, { filename: 'a.dcm' });
      for (let i = 0; i < 3; i++) {
        const plain = await getWithoutKeepAlive(location, token);
        expect(plain.status).toBe(200);
        expect(plain.body.equals(bytes)).toBe(true);
      }
      const kept = await fetch(location, {
        headers: { Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0' },
      });
      expect(kept.status).toBe(200);
      expect(Buffer.from(await kept.arrayBuffer()).equals(bytes)).toBe(true);
    }

    // Give a crash on the connection's close the time to happen.
    await new Promise((r) => setTimeout(r, 300));
    expect(child.exitCode, output()).toBeNull();
    const health = await fetch(`${url}/_sandbox/health`);
    expect(health.status).toBe(200);
    expect(output()).not.toMatch(/ERR_INVALID_STATE|Error/);

    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
  });

  it('issue 9: a taken port is named, with the way out (--port, PORT=0)', async () => {
    needBuild(CLI);
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const child = spawn(process.execPath, [CLI, '--port', String(port)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      let err = '';
      child.stderr.on('data', (c) => {
        err += c;
      });
      expect(await exitOf(child)).toBe(1);
      expect(err).toContain(`port ${port} is already in use`);
      expect(err).toContain('--port 0');
      expect(err).toContain('PORT=0');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('issue 9: PORT and AURA_SANDBOX_PORT choose the port (AURA_SANDBOX_PORT first, --port over both)', async () => {
    needBuild(CLI);
    const fromPort = await spawnUntil([CLI], /listening on http:\/\/127\.0\.0\.1:(\d+)\/api/, {
      PORT: '0',
    });
    expect(fromPort.match[1]).not.toBe('4010');
    fromPort.child.kill('SIGTERM');
    await exitOf(fromPort.child);

    const bad = spawn(process.execPath, [CLI], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PORT: '0', AURA_SANDBOX_PORT: 'nope' },
    });
    children.add(bad);
    let err = '';
    bad.stderr.on('data', (c) => {
      err += c;
    });
    expect(await exitOf(bad)).toBe(2);
    expect(err).toContain('AURA_SANDBOX_PORT');
  });
});

describe('temporary folders of the built library', () => {
  const script = (signalSelf: string) => `
    const { startSandbox } = await import(${JSON.stringify(LIB)});
    const sb = await startSandbox();
    console.log('DIR=' + sb.dataDir);
    ${signalSelf}
  `;

  async function mine(): Promise<string[]> {
    const names = await readdir(tmpdir());
    return names.filter((n) => n.startsWith('aura-sandbox-'));
  }

  it('issue 9: a startSandbox() process stopped by SIGTERM or SIGINT leaves no aura-sandbox-* folder', async () => {
    needBuild(LIB);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const { child, match } = await spawnUntil(
        ['--input-type=module', '-e', script('')],
        /DIR=(\S+)/,
      );
      const dir = match[1]!;
      expect(existsSync(dir)).toBe(true);
      child.kill(signal);
      await exitOf(child);
      expect(existsSync(dir), signal).toBe(false);
    }
  });

  it('issue 9: a folder left by a killed (SIGKILL) process is removed at the next start', async () => {
    needBuild(LIB);
    const { child, match } = await spawnUntil(
      ['--input-type=module', '-e', script('')],
      /DIR=(\S+)/,
    );
    const dir = match[1]!;
    child.kill('SIGKILL');
    await exitOf(child);
    expect(existsSync(dir)).toBe(true);
    // A folder of a live process (this one) is left alone.
    const alive = await mkdtemp(path.join(tmpdir(), `aura-sandbox-${process.pid}-`));
    try {
      const { child: next, match: nextMatch } = await spawnUntil(
        ['--input-type=module', '-e', script('')],
        /DIR=(\S+)/,
      );
      expect(existsSync(dir)).toBe(false);
      expect(existsSync(alive)).toBe(true);
      expect(await mine()).toContain(path.basename(nextMatch[1]!));
      next.kill('SIGTERM');
      await exitOf(next);
    } finally {
      await rm(alive, { recursive: true, force: true });
    }
  });
});
