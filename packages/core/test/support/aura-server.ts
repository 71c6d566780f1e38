import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryNonceStore, verifyRequest } from '../../src/index';

/** What a test hook (or the server) answers: an object body is sent as JSON. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** One request as the server saw it. */
export interface Seen {
  method: string;
  path: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
  json: unknown;
  /** The bearer token, on bearer routes. */
  bearer?: string;
  /** On the exchange: the verifier's answer. */
  verified?: boolean;
  verifyCode?: string;
  nonce?: string;
  timestamp?: string;
  status?: number;
}

export type Hook = (request: Seen) => Answer | undefined | Promise<Answer | undefined>;

export interface TestServerOptions {
  appId?: string;
  appSecret?: string;
  apiKey?: string;
  /** Which exchange answer shape to send (default both sets of fields, like the sandbox). */
  shape?: 'both' | 'uploader' | 'python';
}

interface Issued {
  expiresAt: number;
  maxUses: number | undefined;
  uses: number;
  revoked: boolean;
}

/**
 * A small Aura API on 127.0.0.1 for the client's tests: it verifies every exchange with the
 * core's own verifier (replay protection included), issues tokens, checks them on the bearer
 * routes (expiry, `max_uses`, revocation), and lets a test script any answer through `hook`.
 */
export class TestServer {
  readonly credentials: { appId: string; appSecret: string; apiKey: string };
  readonly requests: Seen[] = [];
  readonly tokens = new Map<string, Issued>();
  /** Checked before the default behaviour (after verification on the exchange). */
  hook: Hook | undefined;
  /** The server clock is this far ahead of the process clock. */
  clockOffsetMs = 0;
  /** Answer this `expires_in` instead of the requested ttl. */
  expiresIn: number | undefined;
  /** Impose this `max_uses` on every token issued. */
  maxUses: number | undefined;
  shape: 'both' | 'uploader' | 'python';
  /** Exchanges that passed verification and reached the token-issuing step. */
  exchangeArrivals = 0;
  /** Tokens issued. */
  issued: string[] = [];
  #gate: Promise<void> | undefined;
  readonly #nonces = new MemoryNonceStore();
  readonly #server: http.Server;
  url = '';
  apiUrl = '';

  constructor(options: TestServerOptions = {}) {
    this.credentials = {
      appId: options.appId ?? 'aura_pk_test',
      appSecret: options.appSecret ?? 'aura_sk_test_0123456789abcdef',
      apiKey: options.apiKey ?? 'aura_au_test_fedcba9876543210',
    };
    this.shape = options.shape ?? 'both';
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: String(error) }));
      });
    });
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.url}/api`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Holds every exchange (after it arrived) until the returned function is called. */
  holdExchanges(): () => void {
    let release!: () => void;
    this.#gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    return () => {
      this.#gate = undefined;
      release();
    };
  }

  revoke(token: string): void {
    const issued = this.tokens.get(token);
    if (issued !== undefined) issued.revoked = true;
  }

  /** Requests to `path` (under /api), e.g. `/auth/exchange`. */
  seen(path: string): Seen[] {
    return this.requests.filter((r) => r.path === `/api${path}`);
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const text = raw.toString('utf8');
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const seen: Seen = {
      method: req.method ?? 'GET',
      path,
      url,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: text,
      json,
    };
    this.requests.push(seen);
    const answer = await this.#route(req, seen, raw);
    seen.status = answer.status;
    const headers: Record<string, string> = {
      date: new Date(this.now()).toUTCString(),
      ...(answer.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...answer.headers,
    };
    res.writeHead(answer.status, headers);
    res.end(
      answer.body === undefined
        ? undefined
        : typeof answer.body === 'string'
          ? answer.body
          : JSON.stringify(answer.body),
    );
  }

  /** The core's verifier, as a real Aura server would run it. */
  #verify(req: http.IncomingMessage, seen: Seen, raw: Buffer) {
    return verifyRequest(
      { method: seen.method, url: seen.url, headers: req.headersDistinct, body: raw },
      {
        secrets: { [this.credentials.appId]: this.credentials.appSecret },
        nonceStore: this.#nonces,
        now: () => this.now(),
      },
    );
  }

  async #route(req: http.IncomingMessage, seen: Seen, raw: Buffer): Promise<Answer> {
    if (seen.path === '/api/auth/exchange' && seen.method === 'POST') {
      const result = await this.#verify(req, seen, raw);
      seen.verified = result.ok;
      seen.nonce = req.headers['x-aura-nonce'] as string | undefined;
      seen.timestamp = req.headers['x-aura-timestamp'] as string | undefined;
      if (!result.ok) {
        seen.verifyCode = result.code;
        return {
          status: result.status,
          body: { error: { code: result.code, message: result.message } },
        };
      }
      if (req.headers['x-api-key'] !== this.credentials.apiKey) {
        return {
          status: 401,
          body: { error: { code: 'invalid_api_key', message: 'bad API key' } },
        };
      }
      const hooked = await this.hook?.(seen);
      if (hooked !== undefined) return hooked;
      this.exchangeArrivals += 1;
      if (this.#gate !== undefined) await this.#gate;
      return this.#issue(seen.json as { ttl?: number; scopes?: string[]; max_uses?: number });
    }

    const authorization = req.headers.authorization ?? '';
    if (authorization.startsWith('AURA-HMAC-SHA256 ')) {
      // Any other signed endpoint: verified the same way, answered with what was seen.
      const result = await this.#verify(req, seen, raw);
      seen.verified = result.ok;
      if (!result.ok) {
        seen.verifyCode = result.code;
        return {
          status: result.status,
          body: { error: { code: result.code, message: result.message } },
        };
      }
      const hooked = await this.hook?.(seen);
      if (hooked !== undefined) return hooked;
      return { status: 200, body: { method: seen.method, url: seen.url, signed: true } };
    }
    if (authorization.startsWith('Bearer ')) seen.bearer = authorization.slice('Bearer '.length);
    const hooked = await this.hook?.(seen);
    if (hooked !== undefined) return hooked;
    if (req.headers['x-api-key'] !== this.credentials.apiKey) {
      return { status: 401, body: { error: { code: 'invalid_api_key', message: 'bad API key' } } };
    }
    const issued = seen.bearer === undefined ? undefined : this.tokens.get(seen.bearer);
    if (
      issued === undefined ||
      issued.revoked ||
      issued.expiresAt <= this.now() ||
      (issued.maxUses !== undefined && issued.uses >= issued.maxUses)
    ) {
      return {
        status: 401,
        body: { error: { code: 'invalid_token', message: 'the upload token is not valid' } },
      };
    }
    issued.uses += 1;
    const body = (seen.json ?? {}) as Record<string, unknown>;
    switch (`${seen.method} ${seen.path}`) {
      case 'GET /api/uploader/config':
        return {
          status: 200,
          body: {
            lift: { endpoint: `${this.url}/files/`, token: 'lift', bucket: 'uploads' },
            mode: 'bulk',
          },
        };
      case 'POST /api/uploader/upload/init':
        return { status: 200, body: { studies: [{ id: 'study-1' }] } };
      case 'POST /api/uploader/upload/start':
      case 'POST /api/uploader/upload/complete':
      case 'POST /api/uploader/upload/error':
      case 'POST /api/uploader/upload/cancel':
        return { status: 204 };
      case 'POST /api/uploader/manage/submit':
        return {
          status: 200,
          body: { success: true, upload_id: body.upload_id, status: 'submitted' },
        };
      case 'POST /api/uploader/manage/withdraw':
        return {
          status: 200,
          body: { success: true, upload_id: body.upload_id, status: 'withdrawn', message: 'ok' },
        };
      default:
        return { status: 200, body: { method: seen.method, url: seen.url } };
    }
  }

  #issue(request: { ttl?: number; scopes?: string[]; max_uses?: number } | undefined): Answer {
    const ttl = request?.ttl ?? 3600;
    if (typeof ttl !== 'number' || ttl < 1 || ttl > 86_400) {
      return {
        status: 422,
        body: {
          message: 'The given data was invalid.',
          errors: { ttl: ['The ttl must be between 1 and 86400.'] },
        },
      };
    }
    const token = `aubt_${randomUUID().replaceAll('-', '')}`;
    const expiresIn = this.expiresIn ?? ttl;
    const maxUses = this.maxUses ?? request?.max_uses;
    const expiresAt = this.now() + expiresIn * 1000;
    this.tokens.set(token, { expiresAt, maxUses, uses: 0, revoked: false });
    this.issued.push(token);
    const scopes = request?.scopes ?? ['upload:init', 'upload:manage', 'integration:read'];
    const uploader = {
      token,
      expires_at: new Date(expiresAt).toISOString(),
      scopes,
      ...(maxUses === undefined ? {} : { max_uses: maxUses }),
    };
    const python = { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scopes };
    const body =
      this.shape === 'uploader'
        ? uploader
        : this.shape === 'python'
          ? python
          : { ...uploader, ...python };
    return { status: 200, body };
  }
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  return new TestServer(options).start();
}
