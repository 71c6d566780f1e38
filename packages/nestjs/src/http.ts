/**
 * The seam between Nest and the core's neutral answers: the request the core reads, and the
 * core's answer written through `HttpAdapterHost`, so one code path serves Express and Fastify.
 */
import type { IncomingMessage } from 'node:http';
import {
  bytesWithinLimit,
  headersFromNode,
  type NeutralRequest,
  type NeutralResponse,
  readBodyLimited,
} from '@aura/core';
import { type ExecutionContext, HttpException } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';

/** The request as a guard or `authorize` sees it: Express's `req` or Fastify's `request`. */
export interface AuraRequest {
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  /** The user the app's own authentication set (Passport, a guard of yours). */
  user?: unknown;
  /** The verified caller, set by `@AuraSigned()`. */
  auraCaller?: { appId: string };
  /** The bytes Nest kept when the app was created with `{ rawBody: true }`. */
  rawBody?: Uint8Array;
  [key: string]: unknown;
}

/** Node's own request: Fastify's `request.raw`, or Express's `req` itself. */
export function nodeRequest(req: AuraRequest): IncomingMessage & { originalUrl?: string } {
  return (req.raw ?? req) as IncomingMessage & { originalUrl?: string };
}

/**
 * The body's bytes, up to `limit`: those Nest kept (`{ rawBody: true }`), else the stream as it
 * arrives when no parser took it (a type Nest does not parse, or none); `undefined` when a parser
 * consumed the stream and kept nothing.
 */
export async function bodyBytes(req: AuraRequest, limit: number) {
  const kept = req.rawBody;
  if (kept instanceof Uint8Array) return bytesWithinLimit(kept, limit);
  const raw = nodeRequest(req);
  if (raw.readableEnded) return undefined;
  return readBodyLimited(raw, limit, raw.headers['content-length']);
}

export function neutralRequest(req: AuraRequest): NeutralRequest {
  const raw = nodeRequest(req);
  // Every field as received: `headers` alone folds a repeated Authorization or Host away, and
  // the verifier refuses those. The original URL is the path that was signed.
  return { method: raw.method, url: raw.originalUrl ?? raw.url, headers: headersFromNode(raw) };
}

/**
 * A refusal as Nest answers it: the core's headers set on the response, then an
 * `HttpException` whose body is the core's `{ error: { code, message } }`, which Nest's own
 * exception handling writes as it is, with or without `AuraExceptionFilter`.
 */
export function refusal(
  adapterHost: HttpAdapterHost,
  context: ExecutionContext,
  answer: NeutralResponse,
): HttpException {
  setHeaders(adapterHost, context.switchToHttp().getResponse(), answer.headers);
  return new HttpException(answer.body as Record<string, unknown>, answer.status);
}

export function setHeaders(
  host: HttpAdapterHost,
  response: unknown,
  headers: Record<string, string>,
) {
  for (const [name, value] of Object.entries(headers)) {
    host.httpAdapter.setHeader(response, name, value);
  }
}

/** Writes the core's answer straight to the response (exception filters, pre-routing errors). */
export function reply(host: HttpAdapterHost, response: unknown, answer: NeutralResponse): void {
  setHeaders(host, response, answer.headers);
  host.httpAdapter.reply(response, answer.body, answer.status);
}
