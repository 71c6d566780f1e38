import { readFile } from 'node:fs/promises';

/**
 * Everything a command touches outside itself, so that tests run the very same code in-process
 * (with captured output and a chosen environment) that the bin runs against the real process.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  /** Reads a file, or standard input for `-`. */
  readInput(path: string): Promise<Uint8Array>;
  /** Clock in milliseconds. */
  now(): number;
  /** Whether standard input is a terminal (then a missing input is an error, not a wait). */
  stdinIsTty: boolean;
}

/** The longest input read from standard input or a file (a captured request, a body). */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_INPUT_BYTES) {
      throw new Error(`standard input is larger than ${MAX_INPUT_BYTES} bytes`);
    }
    chunks.push(buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** The real process: its streams, its environment, its clock. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    readInput: async (path) => {
      if (path === '-') return readStdin();
      const bytes = await readFile(path);
      if (bytes.length > MAX_INPUT_BYTES) {
        throw new Error(`${path} is larger than ${MAX_INPUT_BYTES} bytes`);
      }
      return new Uint8Array(bytes);
    },
    now: () => Date.now(),
    stdinIsTty: process.stdin.isTTY === true,
  };
}
