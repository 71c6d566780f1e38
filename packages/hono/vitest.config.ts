import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.ts';

export default defineProject({
  resolve: { alias: workspaceAliases() },
  test: {
    name: 'hono',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // The runtime files start workerd, Bun or Deno once each; a cold start takes seconds.
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // The type-level tests (test/*.test-d.ts) are checked by tsc as part of the run.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
