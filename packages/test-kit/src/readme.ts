/**
 * What every package's README test needs: the README's fenced blocks, the `AURA_*` environment
 * of a running sandbox, a comparison of code that ignores formatting, and a typecheck of README
 * code against the packages' sources (the way the tests run them, rather than stale builds).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '@aura/sandbox';
import ts from 'typescript';
import { vi } from 'vitest';

export interface ReadmeBlock {
  /** The fence's language tag (`ts`, `sh`, …). */
  lang: string;
  code: string;
}

/** Every fenced block of a Markdown file, in order. */
export function readmeBlocks(file: string): ReadmeBlock[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map(([, lang, code]) => ({
    lang: lang ?? '',
    code: code ?? '',
  }));
}

/**
 * Sets `AURA_BASE_URL`, `AURA_APP_ID`, `AURA_APP_SECRET` and `AURA_API_KEY` to the sandbox's,
 * plus `extra`, for this test file (undone by `vi.unstubAllEnvs()`).
 */
export function stubAuraEnv(sandbox: Sandbox, extra: Record<string, string> = {}): void {
  const { appId, appSecret, apiKey } = sandbox.credentials;
  vi.stubEnv('AURA_BASE_URL', sandbox.apiUrl);
  vi.stubEnv('AURA_APP_ID', appId);
  vi.stubEnv('AURA_APP_SECRET', appSecret);
  vi.stubEnv('AURA_API_KEY', apiKey);
  for (const [name, value] of Object.entries(extra)) vi.stubEnv(name, value);
}

/**
 * Code without comments, spacing and trailing commas: README blocks are formatted by Biome like
 * every other file, so the lines an issue fixes are compared in this form.
 */
export function squashCode(code: string): string {
  return code
    .replace(/\/\/[^\n]*/g, '')
    .replace(/\s+/g, '')
    .replace(/,([)\]}])/g, '$1');
}

/**
 * The type errors of `files` under `packageDir`'s tsconfig, with each `@aura/<name>` in
 * `sources` mapped to `packages/<name>/src/index.ts`.
 */
export function typeProblems(files: string[], packageDir: string, sources: string[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(packageDir, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  if (config === undefined) throw new Error(`no tsconfig.json in ${packageDir}`);
  const paths = Object.fromEntries(
    sources.map((name) => [`@aura/${name}`, [path.join(packageDir, `../${name}/src/index.ts`)]]),
  );
  const program = ts.createProgram(files, { ...config.options, paths });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}
