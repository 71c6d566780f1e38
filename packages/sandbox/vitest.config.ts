import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.ts';

export default defineProject({
  resolve: { alias: workspaceAliases() },
  test: {
    name: 'sandbox',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // A deadline against hangs, generous because turbo runs every package's suite at once on
    // a 2-core machine; speed is measured in `pnpm bench`, never here.
    testTimeout: 30_000,
  },
});
