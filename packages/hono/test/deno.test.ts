import { runtimeScenarios } from './support/runtime-scenarios';
import { installedHono, startRuntime } from './support/runtimes';

// Deno's own server (Deno.serve, its Web Request path); AURA_* from the process environment.
runtimeScenarios('deno', (env) => startRuntime('deno', env), {
  nodeImports: ['node:crypto'],
  hono: installedHono('hono'),
});
