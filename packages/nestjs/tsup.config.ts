import { defineConfig } from 'tsup';
import { auraPreset } from '../../tsup.preset';

export default defineConfig(
  auraPreset({ entry: { index: 'src/index.ts' } }).map((options) => ({
    ...options,
    tsconfig: 'tsconfig.build.json',
  })),
);
