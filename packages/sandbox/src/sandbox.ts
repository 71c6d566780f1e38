import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CaptureCollector, type CaptureProject, DEFAULT_CAPTURE_KEY } from './capture';
import { newNonceStore, type SandboxContext } from './context';
import { controlHostNames } from './controls';
import { Cors } from './cors';
import { FaultQueue, validateFault } from './faults';
import { isLoopback } from './http';
import { RequestLog } from './log';
import { DEFAULT_RATE_LIMITS, RateLimiter } from './rate-limit';
import { createRequestHandler } from './server';
import { makeTempDir, releaseTempDir, removeStaleDirs } from './temp-dirs';
import { TokenStore } from './tokens';
import { TusEndpoint } from './tus';
import type { RateLimits, Sandbox, SandboxApp, SandboxOptions } from './types';
import { UploadStore } from './uploads';

/** The development credentials, printed on start; they guard nothing but a local emulator. */
export const DEFAULT_APP: SandboxApp = {
  appId: 'aura_pk_sandbox',
  appSecret: 'aura_sk_sandbox',
  apiKey: 'aura_au_sandbox',
};

export const DEFAULT_HOST = '127.0.0.1';

/**
 * A local tool's bounds on slow clients: headers within 10 s, a whole request within 60 s (a
 * 1 GiB tus PATCH over loopback takes seconds; tus resumes a cut one from its offset).
 */
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

function checkOptions(options: SandboxOptions): {
  apps: SandboxApp[];
  limits: RateLimits;
  port: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
} {
  const apps = options.apps ?? [DEFAULT_APP];
  if (apps.length === 0) throw new TypeError('startSandbox: apps must hold at least one app');
  const ids = new Set<string>();
  for (const app of apps) {
    for (const field of ['appId', 'appSecret', 'apiKey'] as const) {
      if (typeof app[field] !== 'string' || app[field] === '') {
        throw new TypeError(`startSandbox: every app needs a non-empty ${field}`);
      }
    }
    if (ids.has(app.appId)) throw new TypeError(`startSandbox: app ${app.appId} is given twice`);
    ids.add(app.appId);
  }
  const limits: RateLimits = { ...DEFAULT_RATE_LIMITS };
  for (const [group, value] of Object.entries(options.rateLimits ?? {})) {
    if (!(group in limits)) throw new TypeError(`startSandbox: unknown rate-limit group ${group}`);
    if (!Number.isSafeInteger(value) || (value as number) < 1) {
      throw new TypeError(`startSandbox: rateLimits.${group} must be a positive integer`);
    }
    limits[group as keyof RateLimits] = value as number;
  }
  const port = options.port ?? 0;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError('startSandbox: port must be an integer from 0 to 65535');
  }
  const headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  for (const [name, value] of [
    ['headersTimeoutMs', headersTimeoutMs],
    ['requestTimeoutMs', requestTimeoutMs],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new TypeError(`startSandbox: ${name} must be a positive integer`);
    }
  }
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new TypeError('startSandbox: headersTimeoutMs must not exceed requestTimeoutMs');
  }
  const allowedHosts = options.allowedHosts ?? [];
  if (
    !Array.isArray(allowedHosts) ||
    allowedHosts.some((h) => typeof h !== 'string' || controlHostNames('', [h]).size === 0)
  ) {
    throw new TypeError('startSandbox: allowedHosts must be an array of host names');
  }
  if (options.strictUploads !== undefined && typeof options.strictUploads !== 'boolean') {
    throw new TypeError('startSandbox: strictUploads must be a boolean');
  }
  return { apps, limits, port, headersTimeoutMs, requestTimeoutMs };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return DEFAULT_HOST;
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the Aura API emulator on 127.0.0.1 (port 0 by default: a free one) and resolves once it
 * listens. Close it with `close()`; each sandbox has its own state.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const { apps, limits, port, headersTimeoutMs, requestTimeoutMs } = checkOptions(options);
  const host = options.host ?? DEFAULT_HOST;
  const warn = options.onWarning ?? ((message: string) => console.warn(message));
  if (!isLoopback(host)) {
    warn(
      `aura-sandbox: listening on ${host}, which is not a loopback address: anyone who can reach it can use the development credentials.`,
    );
  }
  const now = options.now ?? Date.now;
  const ownDir = options.dataDir === undefined;
  if (ownDir) await removeStaleDirs();
  const dataDir = ownDir ? await makeTempDir() : path.resolve(options.dataDir!);
  if (!ownDir) await mkdir(dataDir, { recursive: true });

  const captureKeys = new Map<string, CaptureProject>(
    Object.entries(
      options.captureKeys ?? {
        [DEFAULT_CAPTURE_KEY]: {
          id: 'sandbox',
          name: 'Aura sandbox',
          description: 'Local capture',
        },
      },
    ),
  );
  const ctx: SandboxContext = {
    apps: new Map(apps.map((app) => [app.appId, { ...app }])),
    tokens: new TokenStore(now),
    uploads: new UploadStore(now),
    limiter: new RateLimiter(limits, now),
    faults: new FaultQueue(),
    log: new RequestLog(options.logLimit ?? 1000),
    capture: new CaptureCollector(captureKeys),
    nonces: newNonceStore(now),
    skewSeconds: options.skewSeconds ?? 300,
    now,
    origin: '',
    tusPath: '/files',
    strictUploads: options.strictUploads ?? false,
  };
  const tus = new TusEndpoint(ctx, dataDir, options.maxUploadBytes ?? 1024 ** 3);
  const timers = new Set<NodeJS.Timeout>();

  const reset = async (): Promise<void> => {
    ctx.tokens.clear();
    ctx.uploads.clear();
    ctx.limiter.clear();
    ctx.faults.clear();
    ctx.log.clear();
    ctx.capture.clear();
    ctx.nonces.clear();
    await tus.clear();
  };

  const server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // How often Node looks for connections past those bounds (its default is 30 s).
      connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeoutMs / 2)),
    },
    createRequestHandler({
      ctx,
      tus,
      reset,
      startedAt: Date.now(),
      cors: new Cors(options.cors ?? []),
      timers,
      controlHosts: controlHostNames(host, options.allowedHosts ?? []),
      onError: warn,
    }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    if (ownDir) await releaseTempDir(dataDir);
    throw error;
  }
  const address = server.address() as AddressInfo;
  ctx.origin = `http://${urlHost(host)}:${address.port}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (ownDir) await releaseTempDir(dataDir);
    })();
    return closing;
  };

  const first = apps[0]!;
  return {
    url: ctx.origin,
    apiUrl: `${ctx.origin}/api`,
    tusUrl: `${ctx.origin}${ctx.tusPath}/`,
    port: address.port,
    dataDir,
    credentials: {
      ...first,
      apps: apps.map((app) => ({ ...app })),
      captureKey: captureKeys.keys().next().value,
    },
    requests: () => ctx.log.list(),
    captured: () => ctx.capture.events(),
    capturedBatches: () => ctx.capture.batches(),
    fault(rule) {
      const checked = validateFault(rule);
      if (!checked.ok) throw new TypeError(`sandbox.fault: ${checked.message}`);
      return { ...ctx.faults.add(checked.fault) };
    },
    upload: (uploadId) => ctx.uploads.any(uploadId),
    uploads: () => ctx.uploads.list(),
    reset,
    close,
  };
}
