// The test app on Bun's own server (its Web Request path); AURA_* from the process environment.
import { createTestApp } from '../support/app';

declare const Bun: {
  serve(options: { hostname: string; port: number; fetch: (request: Request) => unknown }): {
    url: URL;
  };
};

const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: createTestApp().fetch });
console.log(`listening on ${server.url.origin}`);
