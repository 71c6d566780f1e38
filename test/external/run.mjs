// External type tests: what a user's project sees. Every published package is packed
// (`pnpm pack`, as it would go to npm) and installed into a consumer project outside the repo,
// with its peer dependencies and their @types, and every ```ts block of every package README is
// compiled there verbatim, with TypeScript 5.9 and 7, under `module` node16 and bundler, with
// the DOM lib on and off, and `strict`, `exactOptionalPropertyTypes` and the rest of what
// `tsc --init` turns on. The packed files must also cite no document they do not hold.
//
// A snippet that is not meant to compile on its own belongs in a ```text or ```js block.
//
// Packages and README blocks are found, not listed: a package joins when it has a dist/ and a
// README. Third-party installs are cached in the OS temp folder, keyed by what they are made
// of; the packed packages themselves are unpacked afresh on every run. Nothing is written to
// the repository.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { checkTree } from '../../scripts/check-doc-refs.mjs';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const rootPackage = readJson(path.join(root, 'package.json'));

const TYPESCRIPTS = {
  'TS 5.9': { alias: 'typescript-5.9', range: rootPackage.devDependencies.typescript },
  'TS 7': { alias: 'typescript-7', range: '^7.0.0' },
};
const MODULES = {
  node16: { module: 'node16', moduleResolution: 'node16' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};
const LIBS = { 'DOM on': ['es2023', 'dom', 'dom.iterable'], 'DOM off': ['es2023'] };
// What `tsc --init` (TypeScript 5.9) turns on, less what only concerns emitting.
const USER_OPTIONS = {
  target: 'es2022',
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  noUncheckedSideEffectImports: true,
  moduleDetection: 'force',
  types: ['node'],
  skipLibCheck: false,
  noEmit: true,
  // What every NestJS app's tsconfig has (Nest's decorators need them); no other README block
  // uses a decorator, so they change nothing for the rest.
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
};

const DAY_MS = 24 * 60 * 60 * 1000;

/** A copy with object keys in order at every depth, for a hash that ignores key order. */
function sortedKeys(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys(value[key])]),
  );
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The environment npm would get from a shell: pnpm's `npm_config_*` make npm warn. */
function shellEnv() {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('npm_config_')),
  );
}

function pnpmCommand() {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: a root script, not a turbo task.
  const execPath = process.env.npm_execpath;
  if (execPath !== undefined && /pnpm/.test(path.basename(execPath))) {
    return [process.execPath, [execPath]];
  }
  return ['npx', ['-y', 'pnpm@10']];
}

async function pool(items, size, work) {
  const results = [];
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return results;
}

/** Published packages with a build to pack; the others are named and passed over. */
function discoverPackages() {
  const found = [];
  for (const name of readdirSync(path.join(root, 'packages')).sort()) {
    const dir = path.join(root, 'packages', name);
    if (!existsSync(path.join(dir, 'package.json'))) continue;
    const manifest = readJson(path.join(dir, 'package.json'));
    if (manifest.private) continue;
    if (!existsSync(path.join(dir, 'dist'))) {
      console.log(`  note: ${manifest.name} has no dist/ yet (not built); left out`);
      continue;
    }
    found.push({ dir, manifest });
  }
  return found;
}

async function pack(pkg, destination) {
  const [command, prefix] = pnpmCommand();
  const { stdout } = await run(command, [...prefix, 'pack', '--pack-destination', destination], {
    cwd: pkg.dir,
    env: shellEnv(),
  });
  const tarball = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((line) => line.trim().endsWith('.tgz'));
  if (tarball === undefined)
    throw new Error(`pnpm pack printed no tarball for ${pkg.manifest.name}`);
  const unpacked = path.join(destination, pkg.manifest.name.replace('/', '+'));
  mkdirSync(unpacked, { recursive: true });
  await run('tar', ['-xzf', path.resolve(destination, tarball.trim()), '-C', unpacked]);
  const dir = path.join(unpacked, 'package');
  const packed = readJson(path.join(dir, 'package.json'));
  return { ...pkg, tarball: path.resolve(destination, tarball.trim()), unpacked: dir, packed };
}

/** Every ```ts block of a README, with the line its code starts on. */
function readmeBlocks(readme) {
  const blocks = [];
  const lines = readFileSync(readme, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(?:ts|typescript)\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    blocks.push({ line: start + 1, code: `${lines.slice(start, end).join('\n')}\n` });
    i = end;
  }
  return blocks;
}

const IMPORT =
  /(?:^|[^\w.])(?:import|export)\s*(?:type\s+)?(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importedPackages(code) {
  const names = new Set();
  for (const match of code.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2];
    if (specifier.startsWith('.') || isBuiltin(specifier)) continue;
    const parts = specifier.split('/');
    names.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  return names;
}

/** Where a package's README or runtime finds a third-party module's version range. */
function rangeFor(name, manifest) {
  return (
    manifest.peerDependencies?.[name] ??
    manifest.dependencies?.[name] ??
    manifest.devDependencies?.[name] ??
    rootPackage.devDependencies?.[name]
  );
}

/** The consumer's third-party dependencies: peers, README imports, their @types, TypeScript. */
function consumerDependencies(packages) {
  const ours = new Set(packages.map((p) => p.packed.name));
  const wanted = new Map();
  const problems = [];
  const want = (name, range, why) => {
    if (ours.has(name)) return;
    if (range === undefined) {
      problems.push(`${why} needs ${name}, which its package.json does not declare`);
      return;
    }
    if (!wanted.has(name)) wanted.set(name, range);
  };
  const withTypes = (name, manifest, why) => {
    want(name, rangeFor(name, manifest), why);
    const types = `@types/${name.replace(/^@/, '').replace('/', '__')}`;
    const typesRange = manifest.devDependencies?.[types];
    if (typesRange !== undefined) want(types, typesRange, why);
  };
  for (const pkg of packages) {
    const { packed, manifest } = pkg;
    for (const name of Object.keys(packed.peerDependencies ?? {})) {
      withTypes(name, manifest, `${packed.name} (peer)`);
    }
    for (const block of pkg.blocks) {
      for (const name of importedPackages(block.code)) {
        withTypes(name, manifest, `${packed.name}'s README (line ${block.line})`);
      }
    }
  }
  want('@types/node', rootPackage.devDependencies['@types/node'], 'the consumer');
  for (const { alias, range } of Object.values(TYPESCRIPTS)) {
    wanted.set(alias, `npm:typescript@${range}`);
  }
  return { dependencies: Object.fromEntries([...wanted].sort()), problems };
}

/**
 * `npm i` of the tarballs with the third-party dependencies, as the README's "from a clone"
 * path does it, once per distinct set of manifests and dependencies (kept in the OS temp
 * folder). Each run then lays the freshly packed files over it, so a change of code needs no
 * new install; a change of a manifest does.
 */
async function installed(packages, thirdParty) {
  // What npm acts on when it installs a tarball; a reordered or new devDependency changes nothing.
  const manifests = packages.map(({ packed }) =>
    sortedKeys({
      name: packed.name,
      version: packed.version,
      bin: packed.bin,
      dependencies: packed.dependencies,
      optionalDependencies: packed.optionalDependencies,
      peerDependencies: packed.peerDependencies,
    }),
  );
  const key = createHash('sha256')
    .update(JSON.stringify({ manifests, thirdParty }))
    .digest('hex')
    .slice(0, 16);
  const home = path.join(tmpdir(), 'aura-external-types');
  const dir = path.join(home, key);
  if (existsSync(path.join(dir, 'installed'))) {
    utimesSync(dir, new Date(), new Date());
    return { dir, cached: true };
  }
  mkdirSync(home, { recursive: true });
  const staging = mkdtempSync(path.join(home, `${key}-`));
  const dependencies = { ...thirdParty };
  mkdirSync(path.join(staging, 'tarballs'));
  for (const pkg of packages) {
    const name = path.basename(pkg.tarball);
    writeFileSync(path.join(staging, 'tarballs', name), readFileSync(pkg.tarball));
    dependencies[pkg.packed.name] = `file:tarballs/${name}`;
  }
  writeFileSync(
    path.join(staging, 'package.json'),
    JSON.stringify({ name: 'aura-consumer', private: true, type: 'module', dependencies }, null, 2),
  );
  console.log(
    `  installing the consumer project (npm, ${Object.keys(dependencies).length} packages)…`,
  );
  try {
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--loglevel=error',
        '--no-package-lock',
      ],
      { cwd: staging, env: shellEnv(), shell: process.platform === 'win32' },
    );
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `npm install of the consumer project failed:\n${error.stderr ?? error.message}`,
    );
  }
  writeFileSync(path.join(staging, 'installed'), new Date().toISOString());
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Another run installed the same set meanwhile: use theirs.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(path.join(dir, 'installed'))) throw error;
  }
  // Installs for sets of dependencies not used for a day go; a run in progress keeps its own.
  for (const old of readdirSync(home)) {
    const other = path.join(home, old);
    if (other !== dir && Date.now() - statSync(other).mtimeMs > DAY_MS) {
      rmSync(other, { recursive: true, force: true });
    }
  }
  return { dir, cached: false };
}

function writeConsumer(runDir, packages) {
  writeFileSync(path.join(runDir, 'package.json'), '{ "private": true, "type": "module" }\n');
  for (const pkg of packages) {
    // The packed package, where a user's node_modules would hold it.
    const target = path.join(runDir, 'node_modules', ...pkg.packed.name.split('/'));
    mkdirSync(path.dirname(target), { recursive: true });
    renameSync(pkg.unpacked, target);
    for (const block of pkg.blocks) {
      const file = path.join(
        runDir,
        'src',
        pkg.packed.name.replace('/', '+'),
        `line-${block.line}.ts`,
      );
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, block.code);
      block.file = path.relative(runDir, file).split(path.sep).join('/');
    }
  }
  const settings = [];
  for (const [tsName, ts] of Object.entries(TYPESCRIPTS)) {
    for (const [moduleName, moduleOptions] of Object.entries(MODULES)) {
      for (const [libName, lib] of Object.entries(LIBS)) {
        const config = `tsconfig.${ts.alias}.${moduleName}.${libName.replace(' ', '-')}.json`;
        const compilerOptions = { ...USER_OPTIONS, ...moduleOptions, lib };
        writeFileSync(
          path.join(runDir, config),
          JSON.stringify({ compilerOptions, include: ['src'] }, null, 2),
        );
        settings.push({ label: `${tsName}, ${moduleName}, ${libName}`, ts, config });
      }
    }
  }
  return settings;
}

async function compile(runDir, consumerDir, setting) {
  const tsc = path.join(consumerDir, 'node_modules', setting.ts.alias, 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', setting.config, '--pretty', 'false'], {
      cwd: runDir,
      maxBuffer: 16 * 1024 * 1024,
    });
    return [];
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trimEnd();
    if (output === '') return [String(error.message)];
    // One diagnostic per entry: its indented lines explain the line that starts it.
    const diagnostics = [];
    for (const line of output.split('\n')) {
      if (/^\s/.test(line) && diagnostics.length > 0)
        diagnostics[diagnostics.length - 1] += `\n${line}`;
      else diagnostics.push(line);
    }
    return diagnostics;
  }
}

/** `src/@aura+core/line-16.ts(3,7): …` → `packages/core/README.md:18:7 …`. */
function toReadmeLine(line, packages) {
  for (const pkg of packages) {
    for (const block of pkg.blocks) {
      if (!line.startsWith(`${block.file}(`)) continue;
      const match = /^[^(]+\((\d+),(\d+)\):\s*([\s\S]*)$/.exec(line);
      if (match === null) continue;
      const readme = path.relative(root, path.join(pkg.dir, 'README.md'));
      return `${readme}:${block.line + Number(match[1]) - 1}:${match[2]} ${match[3]}`;
    }
  }
  return line;
}

async function main() {
  const started = Date.now();
  console.log('External type tests (packed packages in a consumer project):');
  const work = mkdtempSync(path.join(tmpdir(), 'aura-external-run-'));
  const failures = [];
  try {
    const packed = await Promise.all(discoverPackages().map((pkg) => pack(pkg, work)));
    for (const pkg of packed) {
      for (const problem of checkTree(pkg.unpacked))
        failures.push(`${pkg.packed.name} tarball: ${problem}`);
      const readme = path.join(pkg.unpacked, 'README.md');
      pkg.blocks = existsSync(readme) ? readmeBlocks(readme) : [];
      if (!existsSync(readme)) console.log(`  note: ${pkg.packed.name} packs no README.md`);
    }
    const { dependencies, problems } = consumerDependencies(packed);
    failures.push(...problems);
    const consumer = await installed(packed, dependencies);
    const runDir = mkdtempSync(path.join(consumer.dir, 'run-'));
    try {
      const settings = writeConsumer(runDir, packed);
      const outputs = await pool(settings, 2, (setting) => compile(runDir, consumer.dir, setting));
      // The same error under several settings is reported once, with the settings it shows in.
      const errors = new Map();
      const theirs = new Set();
      settings.forEach((setting, i) => {
        for (const line of outputs[i]) {
          // Another package's typings failing under these strict options (skipLibCheck off, to
          // check ours) is that package's bug, and no README of ours can fix it.
          if (/^(?:\.\.\/)*node_modules\//.test(line) && !/node_modules\/@aura\//.test(line)) {
            theirs.add(line.split('\n')[0]);
            continue;
          }
          const where = toReadmeLine(line, packed);
          if (!errors.has(where)) errors.set(where, []);
          errors.get(where).push(setting.label);
        }
      });
      for (const [error, labels] of errors) {
        failures.push(
          `${error}\n      (${labels.length === settings.length ? 'every setting' : labels.join('; ')})`,
        );
      }
      if (theirs.size > 0) {
        console.log(`  note: ${theirs.size} error(s) in third-party typings left aside, e.g.`);
        console.log(`    ${[...theirs][0]}`);
      }
      const blocks = packed.reduce((sum, pkg) => sum + pkg.blocks.length, 0);
      const versions = Object.values(TYPESCRIPTS)
        .map(
          (ts) =>
            readJson(path.join(consumer.dir, 'node_modules', ts.alias, 'package.json')).version,
        )
        .join(' and ');
      console.log(
        `  ${blocks} README blocks from ${packed.map((p) => p.packed.name).join(', ')}; TypeScript ${versions}; ${settings.length} settings; install ${consumer.cached ? 'cached' : 'fresh'}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    for (const failure of failures) console.error(`  ✗ ${failure}`);
    console.error(`external type tests: ${failures.length} problem(s)`);
    process.exitCode = 1;
  } else {
    console.log('external type tests: every README block compiles in every setting');
  }
}

await main();
