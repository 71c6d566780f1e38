import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../src/io';
import { runAura } from '../src/main';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `aura …` in this process, with its own environment and captured output. */
export async function aura(
  argv: string[],
  env: Record<string, string | undefined> = {},
  stdin?: string,
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    readInput: async (file) => {
      if (file === '-') {
        if (stdin === undefined) throw new Error('no standard input in this test');
        return new TextEncoder().encode(stdin);
      }
      return new Uint8Array(await readFile(file));
    },
    now: () => Date.now(),
    stdinIsTty: stdin === undefined,
  };
  const code = await runAura(argv, io);
  return { code, stdout, stderr };
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = path.resolve(here, '../dist/cli.js');

/** The built bin in a child process, as a user runs it (build first: npx turbo run build --filter=@aura/cli). */
export function auraBin(
  argv: string[],
  env: Record<string, string> = {},
  stdin?: string,
): Promise<Run> {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: build first (npx turbo run build --filter=@aura/cli)`);
  }
  // Only what the command needs: no AURA_* of the machine running the tests leaks in.
  const childEnv = { PATH: process.env.PATH ?? '', ...env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`aura ${argv.join(' ')} did not finish within 15 s:\n${stdout}${stderr}`));
    }, 15_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

/** The protocol's vector 1 (docs/PROTOCOL.md), as `aura sign` flags. */
export const VECTOR_1 = {
  secret: 'test-secret-key',
  args: [
    '--app-id',
    'test-app-id',
    '--timestamp',
    '1706140800',
    '--nonce',
    '550e8400-e29b-41d4-a716-446655440000',
    '--method',
    'POST',
    '--url',
    '/api/auth/exchange',
    '--header',
    'Host: aura.example.com',
    '--header',
    'Content-Type: application/json',
    '--body',
    '{"ttl":3600,"scopes":["upload:init","upload:manage"]}',
  ],
  canonicalRequestHash: '6cd44500176c5adf24ea7cbdd13d9a8233c99ff1560a94328d6fbbeed8671abd',
  signature: '4e865169c280c238e93ea51681fdf9e5977ecbf0dc60fbbf0b6b7ccba2005093',
  payloadHash: '5335037164580247d5b44ecd0bafecaed26775a65e61c2fb867f39f97cbdd303',
};
