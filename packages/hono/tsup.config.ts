import { defineConfig } from 'tsup';
import { auraPreset } from '../../tsup.preset';

// No web build of its own: the package imports no Node built-in, and `@aura/core`'s own
// `exports` conditions pick its WebCrypto build on Workers.
export default defineConfig(auraPreset({ entry: { index: 'src/index.ts' } }));
