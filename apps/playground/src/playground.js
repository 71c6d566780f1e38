// The playground: a local Aura sandbox, and an Express partner server built from @aura/express's
// public API (auraCapture, auraMiddleware, auraRouter with a demo sign-in as `authorize`, an
// inbound signed route, auraErrorHandler) that serves the page in ../public. `startPlayground()`
// is what `pnpm start` runs and what the browser test drives, on port 0.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuraClient, explainSignature, signRequest } from '@aura/core';
import {
  auraCapture,
  auraErrorHandler,
  auraMiddleware,
  auraRouter,
  verifyAuraSignature,
} from '@aura/express';
import { startSandbox } from '@aura/sandbox';
import express from 'express';
import { recordingFetch } from './recording-fetch.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PUBLIC_DIR = path.resolve(here, '../public');
// The browser build of tus-js-client, served from node_modules: no CDN, no build step.
const TUS_BUNDLE = createRequire(import.meta.url).resolve('tus-js-client/dist/tus.min.js');

/** The one service allowed to call the partner's inbound signed route, `POST /hooks/aura`. */
export const WORKER_APP_ID = 'playground-worker';
const SESSION_COOKIE = 'playground_session';
/** Every wait on something outside this process is bounded. */
const DEADLINE_MS = 10_000;

/**
 * Faults the page can plant, each on a call the partner's AuraClient then makes, so its retry is
 * seen in the sandbox's request log: a 429 with Retry-After on the exchange, two 503s on the
 * uploader config, and a connection dropped without an answer on the uploader config.
 */
const FAULTS = {
  429: {
    rule: { path: '/auth/exchange', status: 429, retryAfter: 1, times: 1 },
    call: (client) => client.exchangeToken({ ttl: 300 }),
    what: 'POST /auth/exchange answered 429 with Retry-After: 1',
  },
  503: {
    rule: { path: '/uploader/config', method: 'GET', status: 503, times: 2 },
    call: (client) => client.getUploaderConfig(),
    what: 'GET /uploader/config answered 503 twice',
  },
  drop: {
    rule: { path: '/uploader/config', method: 'GET', drop: true, times: 1 },
    call: (client) => client.getUploaderConfig(),
    what: 'GET /uploader/config had its connection dropped without an answer',
  },
};

/** Raised when the port asked for is taken; the message names it and the way out. */
export class PortInUseError extends Error {
  constructor(port) {
    super(
      `port ${port} is already in use: stop what runs there, or start the playground on another port with PORT=<n> (PORT=0 picks a free one)`,
    );
    this.name = 'PortInUseError';
    this.port = port;
  }
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    const onError = (error) => {
      server.off('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address().port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function readCookie(req, name) {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** What the page shows of a recorded call to Aura: no secret, no token in full. */
function redactHeaders(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'x-api-key') out[name] = `${value.slice(0, 8)}…`;
    else if (name === 'authorization' && value.startsWith('Bearer ')) {
      out[name] = `Bearer ${value.slice(7, 17)}…`;
    } else out[name] = value;
  }
  return out;
}

/**
 * Starts the sandbox and the partner server. Options: `port` (the page's; default 3000, 0 for
 * a free one), `sandboxPort` (default 0), `log` (start-up and capture messages).
 */
export async function startPlayground(options = {}) {
  const port = options.port ?? 3000;
  const host = '127.0.0.1';
  const log = options.log ?? { info: () => {}, warn: (m) => console.warn(m) };

  // Listen first: the sandbox answers CORS for the page's origin, which needs the real port.
  let handler = (_req, res) => {
    res.writeHead(503, { 'Retry-After': '1' }).end('starting');
  };
  const server = http.createServer((req, res) => handler(req, res));
  const actualPort = await listen(server, port, host);
  const url = `http://${host}:${actualPort}`;

  let sandbox;
  let capture;
  try {
    sandbox = await startSandbox({
      port: options.sandboxPort ?? 0,
      cors: [url, `http://localhost:${actualPort}`],
      // A person clicking around exchanges more often than a server would.
      rateLimits: { exchange: 60 },
      onWarning: (message) => log.warn(`sandbox: ${message}`),
    });
    const credentials = sandbox.credentials;
    const recorder = recordingFetch();
    const client = new AuraClient({
      baseUrl: sandbox.apiUrl,
      appId: credentials.appId,
      appSecret: credentials.appSecret,
      apiKey: credentials.apiKey,
      fetch: recorder.fetch,
      timeoutMs: DEADLINE_MS,
      retry: { attempts: 3, baseDelayMs: 200, maxRetryAfterMs: 5_000 },
    });
    const workerSecret = randomBytes(24).toString('base64url');
    const sessions = new Map();

    capture = auraCapture({
      url: `${sandbox.url}/capture`,
      key: credentials.captureKey,
      bodies: true,
      flushIntervalMs: 200,
      user: (req) => req.user?.id,
      // The page's own polling is not partner traffic.
      skip: (req) => req.path.startsWith('/playground/') || req.method === 'GET',
      logger: log,
    });

    const app = express();
    app.disable('x-powered-by');
    app.use(capture);

    // The page and its scripts.
    // `dotfiles: 'allow'`: pnpm keeps packages under node_modules/.pnpm, a dot folder.
    app.get('/vendor/tus.min.js', (_req, res, next) =>
      res.sendFile(TUS_BUNDLE, { dotfiles: 'allow' }, (error) => error && next(error)),
    );
    app.use(express.static(PUBLIC_DIR, { index: 'index.html' }));

    // Stands in for the partner's own sign-in (a session cookie naming a demo user).
    app.use((req, _res, next) => {
      const session = readCookie(req, SESSION_COOKIE);
      req.user = session === undefined ? null : (sessions.get(session) ?? null);
      next();
    });
    const json = express.json({ limit: '64kb' });
    app.post('/demo/sign-in', json, (req, res) => {
      const name = typeof req.body?.name === 'string' ? req.body.name.trim() : '';
      if (!/^[\w.@-]{1,40}$/.test(name)) {
        res.status(422).json({
          error: { code: 'invalid_name', message: 'a name of 1 to 40 letters, digits, . @ - _' },
        });
        return;
      }
      const session = randomUUID();
      sessions.set(session, { id: name });
      res.cookie(SESSION_COOKIE, session, { httpOnly: true, sameSite: 'strict', path: '/' });
      res.json({ user: { id: name } });
    });
    app.post('/demo/sign-out', (req, res) => {
      const session = readCookie(req, SESSION_COOKIE);
      if (session !== undefined) sessions.delete(session);
      res.clearCookie(SESSION_COOKIE, { path: '/' }).json({ user: null });
    });

    // The integration itself: @aura/express as its README shows it.
    app.use(auraMiddleware({ client }));
    app.use('/api/aura', auraRouter({ authorize: (req) => req.user ?? null }));
    app.post(
      '/hooks/aura',
      verifyAuraSignature({ secrets: { [WORKER_APP_ID]: workerSecret } }),
      (req, res) => {
        res.json({ from: req.auraCaller.appId, got: req.body });
      },
    );

    // The page's own view of what happened.
    app.get('/playground/config', (req, res) => {
      res.json({
        user: req.user,
        // The vendor's widget calls Aura from the browser with the service API key (its
        // `apiToken`); the HMAC secret never leaves this server.
        apiBaseUrl: sandbox.apiUrl,
        apiKey: credentials.apiKey,
      });
    });
    app.get('/playground/traffic', async (_req, res) => {
      // Events leave the recorder in batches; flush so the page sees the latest.
      await Promise.race([capture.flush(), new Promise((r) => setTimeout(r, 2_000).unref())]);
      res.json({
        requests: sandbox.requests(),
        captured: sandbox.captured(),
        stats: capture.stats(),
      });
    });
    app.get('/playground/last-exchange', async (_req, res) => {
      const sent = recorder.lastSigned();
      if (sent === undefined) {
        res.json({ exchange: null });
        return;
      }
      // Rebuilt from what was sent (its timestamp and nonce), through the public signer.
      const explanation = await explainSignature(
        { appId: credentials.appId, appSecret: credentials.appSecret },
        {
          method: sent.method,
          url: sent.url,
          headers: { Host: sent.headers.host, 'Content-Type': sent.headers['content-type'] },
          body: sent.body,
        },
        { timestamp: sent.headers['x-aura-timestamp'], nonce: sent.headers['x-aura-nonce'] },
      );
      res.json({
        exchange: {
          method: sent.method,
          url: sent.url,
          headers: redactHeaders(sent.headers),
          body: typeof sent.body === 'string' ? sent.body : null,
          status: sent.status,
          ...explanation,
          matchesAuthorization: sent.headers.authorization?.endsWith(
            `Signature=${explanation.signature}`,
          ),
        },
      });
    });
    app.post('/playground/fault', json, async (req, res) => {
      const fault = FAULTS[req.body?.kind];
      if (fault === undefined) {
        res.status(422).json({
          error: { code: 'invalid_fault', message: 'kind must be 429, 503 or drop' },
        });
        return;
      }
      const before = sandbox.requests().at(-1)?.id ?? 0;
      sandbox.fault(fault.rule);
      const started = Date.now();
      let outcome;
      try {
        await fault.call(client);
        outcome = { ok: true };
      } catch (error) {
        outcome = { ok: false, code: error.code, message: error.message };
      }
      const attempts = sandbox
        .requests()
        // The capture's own batches to the collector are not the client's attempts.
        .filter((entry) => entry.id > before && !entry.path.startsWith('/capture/'))
        .map(({ method, path: p, status, fault: f, durationMs }) => ({
          method,
          path: p,
          status,
          fault: f ?? null,
          durationMs,
        }));
      res.json({
        kind: req.body.kind,
        what: fault.what,
        outcome,
        attempts,
        ms: Date.now() - started,
      });
    });
    app.post('/playground/signed-call', json, async (req, res) => {
      // What one of the partner's own services does: sign a call to the inbound route.
      const tamper = req.body?.tamper === true;
      const signed = await signRequest(
        { appId: WORKER_APP_ID, appSecret: workerSecret },
        {
          method: 'POST',
          url: `${url}/hooks/aura`,
          body: { event: 'study.ready', at: Date.now() },
        },
      );
      const body = tamper ? String(signed.body).replace('study.ready', 'study.gone') : signed.body;
      const answer = await fetch(signed.url, {
        method: signed.method,
        headers: signed.headers,
        body,
        signal: AbortSignal.timeout(DEADLINE_MS),
      });
      res.json({
        request: { method: signed.method, url: signed.url, headers: signed.headers, body },
        answer: { status: answer.status, body: await answer.json().catch(() => null) },
      });
    });
    app.use(auraErrorHandler());
    // Anything else: told on the console, answered without a stack.
    app.use((error, _req, res, _next) => {
      log.warn(`playground: ${error?.message ?? error}`);
      const status = Number.isInteger(error?.status) ? error.status : 500;
      res.status(status).json({
        error: { code: 'internal', message: status === 500 ? 'internal error' : error.message },
      });
    });

    handler = app;
  } catch (error) {
    await capture?.shutdown(1_000).catch(() => {});
    server.close();
    await sandbox?.close();
    throw error;
  }

  return {
    url: `${url}/`,
    sandbox,
    capture,
    async close() {
      await capture.shutdown(2_000).catch(() => {});
      // Idle keep-alive sockets would hold close() open.
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
      await sandbox.close();
    },
  };
}
