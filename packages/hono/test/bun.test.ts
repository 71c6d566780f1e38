import { runtimeScenarios } from './support/runtime-scenarios';
import { installedHono, startRuntime } from './support/runtimes';

// Bun's own server (Bun.serve, its Web Request path); AURA_* from the process environment.
runtimeScenarios('bun', (env) => startRuntime('bun', env), {
  nodeImports: ['node:crypto'],
  hono: installedHono('hono'),
});
