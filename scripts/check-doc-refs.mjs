// No file may cite a document that is not there: every name ending in `.md` in a tracked file
// (a comment, a README link, a test name) must resolve, and so must every one named in a packed
// tarball, where only the package's own files exist. A name resolves against the citing file's
// folder, its package's root, or (in the repository only) the repository's root; so code cites
// `docs/PROTOCOL.md`, which is the repository's docs/ in a clone and the package's copy on npm.
//
//   node scripts/check-doc-refs.mjs              checks the repository's tracked and new files
//   checkTree(dir, { repoRoot? }) (exported)     checks an unpacked tarball or any folder
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BINARY = /\.(?:png|jpe?g|gif|ico|webp|gz|tgz|zip|wasm|woff2?|dcm)$/i;
// Generated, or the registry's words rather than ours.
const SKIPPED = /(?:^|\/)(?:pnpm-lock\.yaml|package-lock\.json)$|\.map$/;
const URL_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s)>\]"'`]*/gi;
const MD_REFERENCE = /(?<![\w@/.-])((?:\.{1,2}\/)*(?:[\w@.-]+\/)*[\w.-]*\w\.md)(?![\w-])/g;

/** Every `.md` name in a text, with its line; addresses (`https://…/X.md`) are not ours to check. */
export function markdownReferences(text) {
  const found = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(URL_TEXT, (url) => ' '.repeat(url.length));
    for (const match of line.matchAll(MD_REFERENCE)) found.push({ ref: match[1], line: i + 1 });
  }
  return found;
}

/** The folder holding the nearest package.json at or above `file`'s folder, inside `top`. */
function packageRootOf(file, top) {
  let dir = path.dirname(file);
  while (dir.startsWith(top) && dir !== top) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return top;
}

/**
 * The references in `files` (absolute paths under `top`) that resolve nowhere: not against the
 * file's folder, its package root, nor `top` when `top` is a repository root.
 */
export function brokenReferences(files, top, { againstTop = true } = {}) {
  const broken = [];
  for (const file of files) {
    const relative = path.relative(top, file).split(path.sep).join('/');
    if (BINARY.test(file) || SKIPPED.test(relative)) continue;
    const text = readFileSync(file, 'utf8');
    if (text.includes('\0')) continue;
    const bases = [path.dirname(file), packageRootOf(file, top)];
    if (againstTop) bases.push(top);
    for (const { ref, line } of markdownReferences(text)) {
      const resolves = bases.some((base) => {
        const target = path.resolve(base, ref);
        return target.startsWith(top) && existsSync(target);
      });
      if (!resolves) broken.push(`${relative}:${line} cites ${ref}, which is not there`);
    }
  }
  return broken;
}

/** Every file under `dir`, for an unpacked tarball. */
export function filesUnder(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full));
    else out.push(full);
  }
  return out;
}

/** Checks an unpacked tarball: its files may cite only files inside it. */
export function checkTree(dir) {
  return brokenReferences(filesUnder(dir), dir, { againstTop: true });
}

function repositoryFiles(root) {
  const listed = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: root, encoding: 'utf8' },
  );
  return listed
    .split('\0')
    .filter((name) => name !== '')
    .map((name) => path.join(root, name))
    .filter((file) => existsSync(file));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const broken = brokenReferences(repositoryFiles(root), root);
  for (const problem of broken) console.error(`✗ ${problem}`);
  if (broken.length > 0) {
    console.error("Cite the repository's own documents (docs/…), or remove the reference.");
    process.exitCode = 1;
  }
}
