import { describe, it } from 'vitest';
import { runtimeScenarios } from './support/runtime-scenarios';
import { runtimeBinary, startRuntime } from './support/runtimes';

const binary = runtimeBinary('deno');
if ('missing' in binary) {
  console.warn(`Skipping the Deno runtime tests: ${binary.missing}`);
  describe.skip(`the Hono app inside Deno (${binary.missing})`, () => {
    it('needs the deno binary', () => {});
  });
} else {
  runtimeScenarios('Deno', (env) => startRuntime('deno', env), { nodeImports: ['node:crypto'] });
}
