import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.ts';

export default defineProject({
  resolve: { alias: workspaceAliases() },
  test: {
    name: 'koa',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 15_000,
    // The type-level tests (test/*.test-d.ts) are checked by tsc as part of the run.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
