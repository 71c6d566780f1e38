import { defineProject } from 'vitest/config';

// The example runs as users run it: compiled with tsc, then `node dist/start.js` on the built
// packages, in a child process.
export default defineProject({
  test: {
    name: 'example-nestjs',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
  },
});
