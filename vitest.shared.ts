import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * Tests run against sources: every workspace package that has `src/index.ts` is aliased to it,
 * so a change in @aura/core is seen by the sandbox's tests without a build.
 */
export function workspaceAliases(): Record<string, string> {
  const aliases: Record<string, string> = {};
  const packagesDir = path.join(root, 'packages');
  for (const dir of readdirSync(packagesDir)) {
    const manifest = path.join(packagesDir, dir, 'package.json');
    const entry = path.join(packagesDir, dir, 'src', 'index.ts');
    if (!existsSync(manifest) || !existsSync(entry)) continue;
    const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string };
    aliases[name] = entry;
  }
  return aliases;
}
