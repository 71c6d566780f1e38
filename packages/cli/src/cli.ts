#!/usr/bin/env node
import { processIo } from './io';
import { runAura } from './main';

runAura(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // runAura answers every error itself; this is the last line for a bug.
    process.stderr.write(`aura: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
