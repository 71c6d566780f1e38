import type { AuraClientOptions, AuraRoutesOptions, InboundVerifierOptions } from '@aura/core';

/** Where the suite sends its calls: the shape of issue 11's "used exactly like this" block. */
export const PATHS = {
  /** `auraRouter` / `auraRoutes` mounted under this prefix. */
  routes: '/api/aura',
  /** `POST`, guarded by `verifyAuraSignature(setup.verify)`, answering `{ from, got }`. */
  hook: '/hooks/aura',
  /** `GET`, guarded by `requireAuraToken()`, answering `aura.getUploaderConfig()`. */
  config: '/uploads/config',
} as const;

/** The request header the test user arrives in; `authorize` hands it to `setup.userFrom`. */
export const USER_HEADER = 'x-test-user';

/**
 * Which app to build.
 * - `standard`: exactly the README block, nothing more.
 * - `body-consumed`: the same, plus a global body parser installed before everything that
 *   consumes the request stream and keeps no raw bytes (Express: `app.use(express.json())`
 *   without `verify`); the verifier must answer 500 `raw_body_unavailable`, not a mismatch.
 * - `from-env`: the same as `standard`, with no client given anywhere (`auraMiddleware()`),
 *   so the client comes from `process.env`, which the suite has set (or broken) first.
 */
export type MountVariant = 'standard' | 'body-consumed' | 'from-env';

export interface MountSetup {
  variant: MountVariant;
  /**
   * Options for the app's one client, e.g. `auraMiddleware({ client: setup.client })`, and for
   * the routes unless they use the client the middleware attached. `undefined` in `from-env`:
   * pass nothing, so the adapter reads `process.env` at start-up.
   */
  client: AuraClientOptions | undefined;
  /**
   * `authorize` for the routes: `(req) => setup.userFrom(<the USER_HEADER request header>)`.
   * Answers `{ id }` for a named user, `null` without one.
   */
  userFrom(header: string | string[] | undefined): { id: string } | null;
  /** Route options besides `authorize` and the client (e.g. a small `rateLimit`). */
  routes: Omit<AuraRoutesOptions<unknown>, 'authorize' | 'client' | 'getClient'>;
  /** Options for `verifyAuraSignature(setup.verify)` on `POST /hooks/aura`. */
  verify: InboundVerifierOptions;
}

/** A real server, listening on 127.0.0.1 (port 0), built from the adapter's public API. */
export interface Mounted {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

/**
 * Builds and starts the app for `setup`. Start-up errors (a bad environment, bad options) must
 * reject here, not on the first request.
 */
export type Mount = (setup: MountSetup) => Promise<Mounted>;
