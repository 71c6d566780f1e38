/**
 * Express translation of the core's server layer: framework request in, neutral response out.
 * No route, limit or verification rule lives here (see @aura/core's server layer).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AuraClientSource,
  type AuraEnv,
  type AuraRoutesOptions,
  auraErrorResponse,
  bodyTooLarge,
  createAuraRoutes,
  createInboundVerifier,
  ensureAuraToken,
  errorResponse,
  headersFromNode,
  type InboundVerifierOptions,
  type NeutralResponse,
  rawBodyUnavailable,
  resolveAuraClient,
} from '@aura/core';
import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import type { AuraAuthorizeRequest } from './types';

const RAW_BODY = Symbol.for('@aura/express.rawBody');
const RAW_BODY_FIX =
  'Mount verifyAuraSignature() before any body parser, or keep the bytes with ' +
  "express.json({ verify: captureRawBody }) from '@aura/express'.";

/** `express.json({ verify: captureRawBody })`: keeps the bytes a global parser reads for the verifier. */
export function captureRawBody(req: IncomingMessage, _res: ServerResponse, buf: Buffer): void {
  (req as unknown as Record<symbol, Buffer>)[RAW_BODY] = buf;
}

function send(res: Response, answer: NeutralResponse): void {
  res.status(answer.status).set(answer.headers).json(answer.body);
}

/** Whether a body parser already read the stream (body-parser 1 marks `_body`; 2 reads to the end). */
function consumed(req: Request): boolean {
  return req.readableEnded || (req as { _body?: unknown })._body === true;
}

type RawBody = { consumed: true } | { consumed: false; bytes: Uint8Array | undefined };

/** Reads the body as bytes with `express.raw`, unless a parser got there first. */
function rawReader(limit: number, inflate: boolean) {
  const parser = express.raw({ type: () => true, limit, inflate });
  return (req: Request, res: Response): Promise<RawBody | NeutralResponse> => {
    if (consumed(req)) return Promise.resolve({ consumed: true });
    return new Promise((resolve, reject) =>
      parser(req, res, (error?: unknown) => {
        const type = (error as { type?: unknown } | undefined)?.type;
        if (error === undefined || error === null) {
          resolve({ consumed: false, bytes: Buffer.isBuffer(req.body) ? req.body : undefined });
        } else if (type === 'entity.too.large') resolve(bodyTooLarge(limit));
        else if (type === 'encoding.unsupported') {
          resolve(errorResponse(415, 'unsupported_encoding', 'send the signed body uncompressed'));
        } else reject(error);
      }),
    );
  };
}

/** Attaches the Aura client as `req.aura` (from the `AURA_*` environment unless given). */
export function auraMiddleware(
  options: { client?: AuraClientSource; env?: AuraEnv } = {},
): RequestHandler {
  const client = resolveAuraClient(options.client, options.env);
  return (req, _res, next) => {
    req.aura = client;
    next();
  };
}

/** `POST /upload-token`, `/submit`, `/withdraw` (and opt-in `/exchange`), under any prefix. */
export function auraRouter(options: AuraRoutesOptions<AuraAuthorizeRequest>): Router {
  const routes = createAuraRoutes<AuraAuthorizeRequest>({
    getClient: (req) => req.aura,
    ...options,
  });
  const router = express.Router();
  for (const route of routes) {
    const read = rawReader(route.maxBodyBytes, true);
    router.post(route.path, (req, res, next) => {
      read(req, res)
        .then(async (raw) => {
          if ('status' in raw) return send(res, raw);
          const body = raw.consumed ? { parsed: req.body } : { raw: raw.bytes };
          send(res, await route.handle(req, body));
        })
        .catch(next);
    });
  }
  return router;
}

/** Verifies an inbound signed call on its raw bytes; sets `req.auraCaller` and `req.body`. */
export function verifyAuraSignature(options: InboundVerifierOptions): RequestHandler {
  const verifier = createInboundVerifier(options);
  // Never inflated: the signature covers the bytes as sent.
  const read = rawReader(verifier.maxBodyBytes, false);
  return (req, res, next) => {
    const captured = (req as unknown as Record<symbol, Buffer | undefined>)[RAW_BODY];
    const bytes =
      captured === undefined
        ? read(req, res)
        : Promise.resolve({ consumed: false as const, bytes: captured });
    bytes
      .then(async (raw) => {
        if ('status' in raw) return send(res, raw);
        if (raw.consumed) return send(res, rawBodyUnavailable(RAW_BODY_FIX));
        const result = await verifier.verify(
          // Every field as received: `req.headers` alone would fold a duplicate Authorization or Host.
          { method: req.method, url: req.originalUrl, headers: headersFromNode(req) },
          raw.bytes === undefined || raw.bytes.length === 0 ? undefined : raw.bytes,
        );
        if (!result.ok) return send(res, result.response);
        req.auraCaller = result.caller;
        req.body = result.body;
        next();
      })
      .catch(next);
  };
}

/** Makes sure `req.aura` holds a valid token before the handler runs. */
export function requireAuraToken(options: { client?: AuraClientSource } = {}): RequestHandler {
  const given = options.client === undefined ? undefined : resolveAuraClient(options.client);
  return (req, res, next) => {
    const client = given ?? req.aura;
    if (client === undefined) {
      return send(
        res,
        errorResponse(
          500,
          'aura_not_configured',
          'mount auraMiddleware() before requireAuraToken()',
        ),
      );
    }
    const refused = ensureAuraToken(client);
    // A warm cache answers at once: the handler runs in this same turn, no promise in between.
    if (refused === undefined) return next();
    Promise.resolve(refused)
      .then((answer) => (answer === undefined ? next() : send(res, answer)))
      .catch(next);
  };
}

/** Answers Aura's errors as `{ error: { code, message } }`; passes anything else on. */
export function auraErrorHandler(): ErrorRequestHandler {
  return (error, _req, res, next) => {
    const answer = auraErrorResponse(error);
    if (answer === undefined || res.headersSent) return next(error);
    send(res, answer);
  };
}
