import { describe, it } from 'vitest';
import { runtimeScenarios } from './support/runtime-scenarios';
import { runtimeBinary, startRuntime } from './support/runtimes';

const binary = runtimeBinary('bun');
if ('missing' in binary) {
  console.warn(`Skipping the Bun runtime tests: ${binary.missing}`);
  describe.skip(`the Hono app inside Bun (${binary.missing})`, () => {
    it('needs the bun binary', () => {});
  });
} else {
  runtimeScenarios('Bun', (env) => startRuntime('bun', env), { nodeImports: ['node:crypto'] });
}
