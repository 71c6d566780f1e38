/**
 * `auraCapture()`: traffic capture for audit as Hono middleware, on the core's recorder
 * (docs/API.md, "Capture"). Use it first (`app.use(capture)`), so it sees every request,
 * including those a later middleware or the signature verifier refuses.
 *
 * On Node (`@hono/node-server`, which hands the handler `c.env.incoming` / `c.env.outgoing`)
 * it uses the core's node-http tee: request and response bytes are seen as they pass, and the
 * response Hono wrote goes out exactly as before. On other runtimes (Workers, Deno, Bun) the
 * response body is observed through a pass-through stream as the runtime reads it; the request
 * body is not read there (its size comes from `Content-Length`), because doing so would mean
 * replacing the request the application reads.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AdapterCaptureControls,
  type AdapterCaptureOptions,
  type CaptureHandle,
  captureNodeHttp,
  createCaptureRecorder,
  headersFromWeb,
  withCaptureControls,
} from '@aura/core';
import type { Context, MiddlewareHandler } from 'hono';

/** `auraCapture()`'s options; `user` names the application's user, e.g. `(c) => c.get('user')?.id`. */
export type AuraCaptureOptions = AdapterCaptureOptions<Context>;

/** The middleware, which also carries the capture's controls. */
export type AuraCapture = MiddlewareHandler & AdapterCaptureControls;

/** The template of the route that answered (`c.req.routePath` once the handlers ran), or `null`. */
function routeTemplate(c: Context): string | null {
  try {
    const path = c.req.routePath;
    // A path ending in `*` is a middleware's (ours, or a catch-all): no route answered.
    return typeof path === 'string' && path !== '' && !path.endsWith('*') ? path : null;
  } catch {
    return null;
  }
}

function callerOf(c: Context): { appId: string } | undefined {
  const caller = c.get('auraCaller' as never) as { appId?: unknown } | undefined;
  return typeof caller?.appId === 'string' ? { appId: caller.appId } : undefined;
}

/** `c.env.incoming` / `c.env.outgoing` as `@hono/node-server` passes them, when present. */
function nodeObjects(c: Context): { req: IncomingMessage; res: ServerResponse } | undefined {
  const env = c.env as { incoming?: unknown; outgoing?: unknown } | undefined;
  const req = env?.incoming as IncomingMessage | undefined;
  const res = env?.outgoing as ServerResponse | undefined;
  if (typeof req?.push !== 'function' || typeof res?.writeHead !== 'function') return undefined;
  return { req, res };
}

/**
 * Captures every request and response (redacted before queueing) and sends them in batches,
 * off the request path. Options are checked here, at start-up: `AURA_CAPTURE_URL` without
 * `AURA_CAPTURE_KEY` throws a `configuration` error naming the variable. On Workers, pass
 * `env` (or `url` and `key`) explicitly: there is no `process.env`.
 */
export function auraCapture(options: AuraCaptureOptions = {}): AuraCapture {
  const recorder = createCaptureRecorder<Context>(options);
  const { user } = options;
  const userOf = (c: Context) => (user === undefined ? undefined : user(c));

  const middleware: MiddlewareHandler = async (c, next) => {
    const node = nodeObjects(c);
    if (node !== undefined) {
      captureNodeHttp(recorder, node.req, node.res, c, {
        url: node.req.url,
        // Methods, not arrow properties: nothing per request is a named closure.
        route() {
          return routeTemplate(c);
        },
        caller() {
          return callerOf(c);
        },
        user() {
          return userOf(c);
        },
      });
      await next();
      return;
    }
    const url = new URL(c.req.url);
    const handle = recorder.begin(
      {
        method: c.req.method,
        url: `${url.pathname}${url.search}`,
        headers: headersFromWeb(c.req.raw.headers),
      },
      c,
    );
    if (handle === undefined) return next();
    await next();
    observeResponse(c, handle, () => ({
      route: routeTemplate(c),
      caller: callerOf(c),
      user: safe(() => userOf(c)),
    }));
  };
  return withCaptureControls(middleware, recorder);
}

function safe<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * Ends the record when the response body has been read to its end (or cancelled): the body is
 * passed through unchanged, chunk by chunk, as the runtime pulls it.
 */
function observeResponse(
  c: Context,
  handle: CaptureHandle,
  context: () => Omit<Parameters<CaptureHandle['end']>[0], 'status' | 'headers'>,
): void {
  const response = c.res;
  const headers = headersFromWeb(response.headers);
  const end = () => handle.end({ status: response.status, headers, ...context() });
  handle.responseHeaders(headers);
  if (response.body === null) {
    end();
    return;
  }
  const reader = response.body.getReader();
  // Pulled only as the runtime pulls (high-water mark 0): nothing is read ahead or buffered.
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            end();
            controller.close();
            return;
          }
          handle.responseChunk(value);
          controller.enqueue(value);
        } catch (error) {
          end();
          controller.error(error);
        }
      },
      cancel(reason) {
        // The client went away: the record still ends, with what was sent.
        end();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  // The same status, status text and headers; `c.res = …` keeps Hono's own header handling.
  c.res = new Response(body, response);
}
