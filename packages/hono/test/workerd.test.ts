import { runtimeScenarios } from './support/runtime-scenarios';
import { installedHono, startRuntime } from './support/runtimes';

// Miniflare runs the real workerd binary; its AURA_* configuration is the Worker's bindings.
runtimeScenarios('workerd', (env) => startRuntime('workerd', env), {
  nodeImports: [],
  hono: installedHono('hono'),
});
