import { defineConfig } from 'vitest/config';

// Tests run against sources: each project maps the workspace packages to their `src/`.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts'],
  },
});
