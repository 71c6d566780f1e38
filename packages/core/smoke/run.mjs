// Imports the built package the way consumers do (by name, through `exports`): from CommonJS
// and from ESM, with Node's default conditions and with the edge conditions that select the
// WebCrypto build.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const runs = [
  [['cjs.cjs', 'require', 'node'], []],
  [['esm.mjs', 'import', 'node'], []],
  [['cjs.cjs', 'require --conditions=worker', 'webcrypto'], ['--conditions=worker']],
  [['esm.mjs', 'import --conditions=workerd', 'webcrypto'], ['--conditions=workerd']],
];
for (const [[file, label, backend], flags] of runs) {
  execFileSync(process.execPath, [...flags, `${dir}${file}`, label, backend], { stdio: 'inherit' });
}
// The three builds in one process: one replay history between them.
execFileSync(process.execPath, [`${dir}replay.mjs`], { stdio: 'inherit' });
