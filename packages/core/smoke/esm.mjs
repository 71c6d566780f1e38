import * as core from '@aura/core';
import check from './check.cjs';

await check.check(core, process.argv[2] ?? 'import', process.argv[3] ?? 'node');
