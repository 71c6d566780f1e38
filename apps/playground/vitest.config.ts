import { defineProject } from 'vitest/config';

// The playground runs as users run it: on the built workspace packages, and its page in a real
// Chromium. Build first: npx turbo run build --filter=@aura/playground^...
export default defineProject({
  test: {
    name: 'playground',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // What the page shows comes after a round trip through two servers; on a busy CI machine
    // that can take more than expect.poll's default second.
    expect: { poll: { timeout: 10_000, interval: 50 } },
  },
});
