import path from 'node:path';
import type { Options } from 'tsup';

/**
 * The one build preset every published package uses: ESM + CJS with per-format type files
 * (`.d.ts` next to `.js`, `.d.cts` next to `.cjs`), so publint and attw see each format's
 * own types. `web: true` adds a second pair of bundles under `dist/web/` in which the crypto
 * backend is WebCrypto instead of `node:crypto`; `exports` conditions pick between them.
 */
export function auraPreset(options: { entry: Record<string, string>; web?: boolean }): Options[] {
  const base: Options = {
    entry: options.entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    outDir: 'dist',
    // Deno resolves Node built-ins only with the `node:` prefix.
    removeNodeProtocol: false,
    // esbuild renames a class that refers to itself (`AuraClient` → `_AuraClient`); users see
    // `.name` and stack frames (`at AuraClient.request`), so the source names are kept.
    keepNames: true,
  };
  const builds: Options[] = [{ ...base, clean: true }];
  if (options.web) {
    builds.push({
      ...base,
      outDir: 'dist/web',
      platform: 'neutral',
      target: 'es2022',
      esbuildPlugins: [
        {
          name: 'aura-webcrypto-backend',
          setup(build) {
            // Sources import the backend through `crypto/default`; the edge bundle swaps it
            // for WebCrypto so that no `node:crypto` import reaches Workers.
            build.onResolve({ filter: /[\\/]crypto[\\/]default$/ }, (args) => ({
              path: path.resolve(args.resolveDir, args.path.replace(/default$/, 'default.web.ts')),
            }));
          },
        },
      ],
    });
  }
  return builds;
}
