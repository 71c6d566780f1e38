// Files every published package must carry, kept as copies of the repo's own: the root LICENSE
// and the repo's docs/ (READMEs, comments and typings cite docs/PROTOCOL.md, docs/API.md,
// docs/VERIFIER.md, and the docs cite each other, so a package on npm needs them all).
// Committed copies, rather than copies made at pack time, ship with any packing tool and read
// the same on a clone as on npm.
//
//   node scripts/sync-package-files.mjs           writes the copies
//   node scripts/sync-package-files.mjs --check   fails if a copy is missing or stale (in `test`)
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

/** Packages that are published: every packages/* whose package.json is not private. */
export function publishedPackages() {
  const dir = path.join(root, 'packages');
  return readdirSync(dir)
    .map((name) => path.join(dir, name))
    .filter((pkgDir) => existsSync(path.join(pkgDir, 'package.json')))
    .filter(
      (pkgDir) => !JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).private,
    );
}

function wanted() {
  const docs = readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md'));
  const copies = [];
  for (const pkgDir of publishedPackages()) {
    const pkg = path.relative(root, pkgDir).split(path.sep).join('/');
    copies.push({ from: 'LICENSE', to: `${pkg}/LICENSE` });
    for (const doc of docs) copies.push({ from: `docs/${doc}`, to: `${pkg}/docs/${doc}` });
  }
  return copies;
}

/** Entries each package's `files` must list for its copies to be packed. */
function missingFromFiles() {
  const problems = [];
  for (const pkgDir of publishedPackages()) {
    const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
    const files = pkg.files ?? [];
    for (const entry of ['LICENSE', 'docs']) {
      if (!files.includes(entry)) {
        problems.push(`${path.relative(root, pkgDir)}/package.json: "files" must list "${entry}"`);
      }
    }
  }
  return problems;
}

const problems = missingFromFiles();
for (const { from, to } of wanted()) {
  const source = readFileSync(path.join(root, from));
  const target = path.join(root, to);
  const current = existsSync(target) ? readFileSync(target) : undefined;
  if (current?.equals(source)) continue;
  if (check) {
    problems.push(`${to} ${current === undefined ? 'is missing' : `differs from ${from}`}`);
  } else {
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, source);
    console.log(`copied ${from} → ${to}`);
  }
}
if (problems.length > 0) {
  for (const problem of problems) console.error(`✗ ${problem}`);
  if (check) console.error('Run `node scripts/sync-package-files.mjs` to refresh the copies.');
  process.exitCode = 1;
}
