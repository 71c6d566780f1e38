import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.ts';

export default defineProject({
  resolve: { alias: workspaceAliases() },
  test: {
    name: 'nestjs',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 15_000,
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
