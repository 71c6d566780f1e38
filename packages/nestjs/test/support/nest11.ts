/**
 * Nest 11 next to the workspace's Nest 12: the 11 packages are installed under aliases
 * (`nest11-common`, …), but pnpm links an aliased package's peers by their real names, so
 * Nest 11's own `require('@nestjs/common')` would find Nest 12. This redirects the requires made
 * from inside the Nest 11 packages to Nest 11; the test files `vi.mock` the imports of the
 * sources and the tests. Everything that runs is then Nest 11 (CommonJS, Express 5).
 */
import { realpathSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const NEST11: Record<string, string> = {};
for (const name of ['common', 'core', 'platform-express']) {
  NEST11[`@nestjs/${name}`] = path.dirname(
    realpathSync(require.resolve(`nest11-${name}/package.json`)),
  );
}
const roots = Object.values(NEST11);

type Resolve = (
  request: string,
  parent: { filename?: string } | undefined,
  ...rest: unknown[]
) => string;
const loader = Module as unknown as { _resolveFilename: Resolve };
const resolve = loader._resolveFilename;
loader._resolveFilename = function (request, parent, ...rest) {
  const fromNest11 = roots.some((root) => parent?.filename?.startsWith(root + path.sep));
  const name = Object.keys(NEST11).find((n) => request === n || request.startsWith(`${n}/`));
  if (fromNest11 && name !== undefined) {
    const target = (NEST11[name] as string) + request.slice(name.length);
    return resolve.call(this, target, parent, ...rest);
  }
  return resolve.call(this, request, parent, ...rest);
};

/** The major version of the Nest that `@nestjs/core` resolves to here. */
export function nestMajor(core: { VERSION?: string } | undefined): number {
  return Number(String(core?.VERSION ?? '').split('.')[0]);
}
