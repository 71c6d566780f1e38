import { defineConfig } from 'tsup';
import { auraPreset } from '../../tsup.preset';

// `shims`: `aura sandbox` finds the sandbox's bin through `import.meta.url`, which the CJS
// build gets only from tsup's shim.
export default defineConfig(
  auraPreset({ entry: { index: 'src/index.ts', cli: 'src/cli.ts' } }).map((options) => ({
    ...options,
    shims: true,
  })),
);
