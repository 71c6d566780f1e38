import { runtimeScenarios } from './support/runtime-scenarios';
import { installedHono, startRuntime } from './support/runtimes';

// The peer range starts at Hono 4.0.0: the same app, bundled against it, on @hono/node-server.
runtimeScenarios('node-hono-4.0', (env) => startRuntime('node-hono-4.0', env), {
  hono: installedHono('hono-oldest'),
});
