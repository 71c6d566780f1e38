import type { IncomingMessage } from 'node:http';
import type { SandboxContext } from './context';
import type { Cors } from './cors';
import { validateFault } from './faults';
import {
  hostName,
  isLoopback,
  ok,
  parseJsonObject,
  plainError,
  type Reply,
  readBody,
} from './http';
import type { TusEndpoint } from './tus';

/**
 * The host names the controls answer to besides loopback ones: the listen address and the
 * names given in `allowedHosts` (a container's service name), normalised as `hostName` reads
 * a `Host` header.
 */
export function controlHostNames(listenHost: string, allowed: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const host of [listenHost, ...allowed]) {
    const bare = host.trim();
    const name = hostName(bare.includes(':') && !bare.startsWith('[') ? `[${bare}]` : bare);
    if (name !== undefined) names.add(name);
  }
  return names;
}

export interface ControlDeps {
  ctx: SandboxContext;
  tus: TusEndpoint;
  reset: () => Promise<void>;
  startedAt: number;
}

/**
 * Whether a control call may be answered at all. The controls wipe state, plant faults and show
 * the log, uploads and captures, so a web page must not reach them: not by a "simple" cross-site
 * POST (no preflight: writes must be `application/json`), not from an origin outside `--cors`,
 * and not through DNS rebinding (a page's own name resolving to 127.0.0.1: `Host` must be a
 * loopback name or the address the sandbox was started on).
 */
export function refuseControl(
  req: IncomingMessage,
  cors: Cors,
  controlHosts: ReadonlySet<string>,
): Reply | undefined {
  const sent = req.headersDistinct.host;
  const name = sent?.length === 1 ? hostName(sent[0]!) : undefined;
  const local =
    name !== undefined &&
    (isLoopback(name) || name.endsWith('.localhost') || controlHosts.has(name));
  if (!local) {
    return plainError(
      403,
      'The sandbox controls answer only to Host localhost, 127.0.0.1, [::1], the address the sandbox listens on, or a name given with --allow-host.',
    );
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !cors.allows(origin)) {
    const shown = String(origin).slice(0, 200);
    return plainError(
      403,
      `The sandbox controls do not answer pages from ${shown}; start the sandbox with --cors ${shown} to allow it.`,
    );
  }
  if (req.method === 'POST' && !isJson(req.headers['content-type'])) {
    return plainError(415, 'Writes to the sandbox controls must be sent as application/json.');
  }
  return undefined;
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** `/_sandbox/…`: health, reset, the request log, faults, captures and uploads. */
export async function control(
  deps: ControlDeps,
  req: IncomingMessage,
  path: string,
): Promise<Reply> {
  const { ctx, tus } = deps;
  const method = req.method ?? 'GET';
  const name = path.slice('/_sandbox/'.length).replace(/\/+$/, '');
  const allow = (methods: string[], run: () => Reply | Promise<Reply>): Reply | Promise<Reply> =>
    methods.includes(method)
      ? run()
      : plainError(405, `Use ${methods.join(' or ')} on ${path}.`, { Allow: methods.join(', ') });

  switch (name) {
    case 'health':
      return allow(['GET', 'HEAD'], () =>
        ok({
          ok: true,
          apiUrl: `${ctx.origin}/api`,
          tusUrl: `${ctx.origin}${ctx.tusPath}/`,
          uptimeMs: Date.now() - deps.startedAt,
        }),
      );
    case 'reset':
      return allow(['POST'], async () => {
        await deps.reset();
        return ok({ ok: true });
      });
    case 'requests':
      return allow(['GET', 'DELETE'], () => {
        if (method === 'DELETE') {
          ctx.log.clear();
          return { status: 204 };
        }
        return ok({ requests: ctx.log.list() });
      });
    case 'faults':
      return allow(['GET', 'POST', 'DELETE'], async () => {
        if (method === 'GET') return ok({ faults: ctx.faults.list() });
        if (method === 'DELETE') {
          ctx.faults.clear();
          return { status: 204 };
        }
        const body = parseJsonObject(await readBody(req, 64 * 1024));
        if (!body.ok) return body.reply;
        const checked = validateFault(body.value);
        if (!checked.ok) return plainError(422, checked.message);
        return ok({ fault: ctx.faults.add(checked.fault) }, 201);
      });
    case 'captured':
      return allow(['GET', 'DELETE'], () => {
        if (method === 'DELETE') {
          ctx.capture.clear();
          return { status: 204 };
        }
        return ok({
          events: ctx.capture.events(),
          batches: ctx.capture.batches(),
          ...ctx.capture.accounting(),
        });
      });
    case 'uploads':
      return allow(['GET'], () => ok({ uploads: ctx.uploads.list(), files: tus.files() }));
    default: {
      const upload = /^uploads\/([^/]+)$/.exec(name);
      if (upload !== null) {
        return allow(['GET'], () => {
          const found = ctx.uploads.any(upload[1]!);
          return found === undefined
            ? plainError(404, `No upload ${upload[1]}.`)
            : ok({ upload: found });
        });
      }
      return plainError(404, `No sandbox control ${path}.`);
    }
  }
}
