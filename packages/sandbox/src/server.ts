import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Call } from './context';
import { type ControlDeps, control, refuseControl } from './controls';
import type { Cors } from './cors';
import { auraError, BodyTooLargeError, plainError, type Reply, readBody, send } from './http';
import { redactHeaders, redactTarget, redactText } from './log';
import { findRoute } from './router';
import type { ActiveFault, RequestLogEntry } from './types';

export interface ServerDeps extends ControlDeps {
  cors: Cors;
  /** Timers of delay faults, cleared on close. */
  timers: Set<NodeJS.Timeout>;
  /** Host names the controls answer to besides loopback ones (the listen address, allowedHosts). */
  controlHosts: ReadonlySet<string>;
  /** Where an error raised while answering one request is told (the request still gets its end). */
  onError: (message: string) => void;
}

function sleep(ms: number, timers: Set<NodeJS.Timeout>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      resolve();
    }, ms);
    timers.add(timer);
  });
}

function faultReply(fault: ActiveFault): Reply {
  const status = fault.status!;
  const headers: Record<string, string> =
    fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) };
  const code = status === 429 ? 'rate_limited' : 'sandbox_fault';
  return auraError(status, code, `Injected by the sandbox: ${status} for ${fault.path}.`, headers);
}

/** The one request handler: controls, preflights, faults, then tus or the API routes. */
export function createRequestHandler(deps: ServerDeps) {
  const { ctx, cors } = deps;
  /** `onError` is the caller's code: its own throw must not undo the containment. */
  const tell = (message: string): void => {
    try {
      deps.onError(message);
    } catch {
      // Nowhere left to tell it.
    }
  };

  /**
   * Whatever goes wrong answering one request ends that response, and only that one: told to
   * `onError`, answered 500 if nothing was sent yet, the connection cut otherwise.
   */
  const fail = (
    req: IncomingMessage,
    res: ServerResponse,
    error: unknown,
    extra: Record<string, string>,
  ): void => {
    const message = error instanceof Error ? error.message : String(error);
    tell(
      `aura-sandbox: ${req.method ?? 'GET'} ${redactTarget(req.url ?? '/')} failed: ${redactText(message)}`,
    );
    if (res.headersSent) {
      res.destroy();
      return;
    }
    try {
      send(res, internalError(error), extra);
    } catch {
      res.destroy();
    }
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    // A socket error after the answer began (a client gone mid-body) is this request's alone.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    try {
      handle(req, res);
    } catch (error) {
      fail(req, res, error, {});
    }
  };

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://sandbox').pathname;
    } catch {
      send(res, plainError(400, 'The request target is not a valid URL.'));
      return;
    }
    const origin = req.headers.origin;
    const method = (req.method ?? 'GET').toUpperCase();

    if (path === '/_sandbox' || path.startsWith('/_sandbox/')) {
      if (method === 'OPTIONS') {
        send(res, { status: 204 }, cors.preflight(origin));
        return;
      }
      const refused = refuseControl(req, cors, deps.controlHosts);
      if (refused !== undefined) {
        // The body (if any) was not read; closing keeps it from confusing keep-alive.
        res.setHeader('Connection', 'close');
        send(res, refused, cors.headers(origin));
        return;
      }
      control(deps, req, path)
        .then((reply) => send(res, reply, cors.headers(origin)))
        .catch((error: unknown) => fail(req, res, error, cors.headers(origin)));
      return;
    }

    const call: Call = { req, res, path, ctx, appId: null, warnings: [] };
    const logged: Pick<RequestLogEntry, 'code' | 'fault'> = {};
    res.once('close', () => {
      // An event listener's throw would escape every handler: the log write is guarded too.
      try {
        ctx.log.add({
          time: new Date(ctx.now()).toISOString(),
          method,
          path: redactTarget(req.url ?? path),
          status: res.headersSent && logged.fault !== 'drop' ? res.statusCode : 0,
          appId: call.appId,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
          ...logged,
          headers: redactHeaders(req.headers),
          ...(call.warnings.length > 0 ? { warnings: [...call.warnings] } : {}),
        });
      } catch (error) {
        tell(`aura-sandbox: could not log ${method} ${path}: ${redactText(String(error))}`);
      }
    });
    const reply = (r: Reply): void => {
      if (r.code !== undefined) logged.code = r.code;
      send(res, r, cors.headers(origin));
    };

    if (method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      send(res, { status: 204 }, cors.preflight(origin));
      return;
    }

    void (async () => {
      const fault = ctx.faults.take(method, path);
      if (fault !== undefined) {
        if (fault.delayMs !== undefined && fault.delayMs > 0) {
          logged.fault = 'delay';
          await sleep(fault.delayMs, deps.timers);
          if (res.destroyed) return;
        }
        if (fault.drop === true) {
          logged.fault = 'drop';
          req.socket.destroy();
          return;
        }
        if (fault.status !== undefined) {
          logged.fault = 'status';
          // The body was not read; closing keeps a half-read body from confusing keep-alive.
          res.setHeader('Connection', 'close');
          reply(faultReply(fault));
          return;
        }
      }

      const tusPath = ctx.tusPath;
      if (path === tusPath || path.startsWith(`${tusPath}/`)) {
        await deps.tus.handle(call, cors.headers(origin));
        return;
      }

      const route = findRoute(path);
      if (route === undefined) {
        reply(plainError(404, `No endpoint ${method} ${path} in the Aura API.`));
        return;
      }
      if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) {
        reply(
          plainError(
            405,
            `The ${method} method is not supported for ${path}; use ${route.method}.`,
            {
              Allow: route.method,
            },
          ),
        );
        return;
      }
      let raw: Buffer;
      try {
        raw = await readBody(req, route.bodyLimit);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          res.setHeader('Connection', 'close');
          reply(plainError(413, `The request body is larger than ${error.limit} bytes.`));
          return;
        }
        throw error;
      }
      reply(await route.handler(call, raw));
    })().catch((error: unknown) => fail(req, res, error, cors.headers(origin)));
  }
}

function internalError(error: unknown): Reply {
  const message = error instanceof Error ? error.message : String(error);
  return plainError(500, `The sandbox failed: ${redactText(message)}`);
}
