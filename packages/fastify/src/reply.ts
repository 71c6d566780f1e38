import { headersFromNode, type NeutralRequest, type NeutralResponse } from '@aura/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The core's neutral request, from Fastify's: the raw target and every header as received. */
export function neutralRequest(request: FastifyRequest): NeutralRequest {
  const raw = request.raw;
  return {
    method: raw.method,
    url: raw.url,
    // Every field as received: `headers` alone folds a repeated Authorization or Host away, and
    // the verifier refuses those. `fastify.inject`'s request has no `headersDistinct`.
    headers: headersFromNode(raw),
  };
}

/** Writes the core's answer; returned so async hooks can `return` it, as Fastify asks. */
export function send(reply: FastifyReply, response: NeutralResponse): FastifyReply {
  return reply.code(response.status).headers(response.headers).send(response.body);
}
