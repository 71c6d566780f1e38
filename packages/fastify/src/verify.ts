/**
 * `verifyAuraSignature(opts)`: a preHandler that lets through only calls signed by a known app.
 * The check needs the exact bytes received, before any parser touched them (docs/VERIFIER.md):
 * the registered `auraPlugin` sees every route whose preHandler is one of these verifiers and
 * checks it in `preParsing`, straight from the stream, so an unverified body never reaches a
 * parser. Without the plugin, the bytes `fastify-raw-body` kept (`request.rawBody`) will do.
 */
import { Readable } from 'node:stream';
import {
  AuraError,
  createInboundVerifier,
  type InboundResult,
  type InboundVerifier,
  type InboundVerifierOptions,
  type NeutralResponse,
  rawBodyUnavailable,
  readBodyLimited,
} from '@aura/core';
import type {
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
  preParsingAsyncHookHandler,
  RouteOptions,
} from 'fastify';
import { neutralRequest, send } from './reply';

// `Symbol.for`: the ESM and the CJS copy of this package must recognise each other's verifiers.
const VERIFIER = Symbol.for('@aura/fastify.verifier');
const VERIFIED = Symbol.for('@aura/fastify.verified');

type Marked = { [VERIFIER]?: InboundVerifier };
type Checked = { [VERIFIED]?: InboundResult; rawBody?: unknown };

export type VerifyAuraSignatureOptions = InboundVerifierOptions;

const REPLACED =
  'A preParsing hook that runs before the verifier replaced the request stream; the verifier ' +
  'must read the bytes as received.';
const FIX =
  'Register the plugin before declaring the route (await app.register(auraPlugin)), or keep ' +
  'the bytes with fastify-raw-body (request.rawBody).';

/** Options are checked here, when the route is declared: a bad one fails at start-up. */
export function verifyAuraSignature(
  options: VerifyAuraSignatureOptions,
): preHandlerAsyncHookHandler {
  const verifier = createInboundVerifier(options);
  const preHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const result = (request as Checked)[VERIFIED] ?? (await verifyKeptBytes(verifier, request));
    if (!result.ok) return send(reply, result.response);
    request.auraCaller = result.caller;
    request.body = result.body;
  };
  return Object.assign(preHandler, { [VERIFIER]: verifier });
}

/** The route had no `preParsing` of ours: only bytes another plugin kept can be verified. */
function verifyKeptBytes(verifier: InboundVerifier, request: FastifyRequest) {
  const kept = (request as Checked).rawBody;
  if (typeof kept === 'string' || kept instanceof Uint8Array) {
    const bytes = typeof kept === 'string' ? new TextEncoder().encode(kept) : kept;
    return verifier.verify(neutralRequest(request), bytes.length > 0 ? bytes : undefined);
  }
  // Nothing parsed means nothing arrived; a parsed body without its bytes cannot be checked.
  if (request.body === undefined) return verifier.verify(neutralRequest(request), undefined);
  return { ok: false, response: rawBodyUnavailable(FIX) } as const;
}

/** `onRoute` (in `auraPlugin`): a route guarded by a verifier gets its bytes checked first. */
export function checkBeforeParsing(route: RouteOptions): void {
  const preHandlers = [route.preHandler ?? []].flat() as Marked[];
  const verifiers = preHandlers.flatMap((hook) => hook[VERIFIER] ?? []);
  // The stream can be read once: a second verifier could only see what the first let through.
  if (verifiers.length > 1) {
    const message = `route ${route.method} ${route.url}: one verifyAuraSignature per route`;
    throw new AuraError('configuration', message);
  }
  const verifier = verifiers[0];
  if (verifier === undefined) return;
  route.preParsing = [[route.preParsing ?? []].flat(), readAndVerify(verifier)].flat();
  // Fastify's parser reads the bytes again after us: the verifier's limit is the route's.
  route.bodyLimit ??= verifier.maxBodyBytes;
}

/** Awaiting the reply waits until it is written, so Fastify sees it sent and parses nothing. */
async function refuse(reply: FastifyReply, response: NeutralResponse): Promise<undefined> {
  await send(reply, response);
  return undefined;
}

function readAndVerify(verifier: InboundVerifier): preParsingAsyncHookHandler {
  return async (request, reply, payload) => {
    // A hook before this one replaced the stream: what is left is not the bytes that were signed.
    if (payload !== request.raw) return refuse(reply, rawBodyUnavailable(REPLACED));
    const length = request.headers['content-length'];
    const read = await readBodyLimited(payload, verifier.maxBodyBytes, length);
    const body = read.ok && read.bytes.length > 0 ? read.bytes : undefined;
    const result = read.ok ? await verifier.verify(neutralRequest(request), body) : read;
    if (!result.ok) {
      // Fastify's own rule: a body left unread closes the connection, the client may send more.
      if (!read.ok) reply.header('connection', 'close');
      return refuse(reply, result.response);
    }
    (request as Checked)[VERIFIED] = result;
    // Fastify's own parser still runs, on the verified bytes, for any schema or hook after us.
    // A Readable holding them, ended: a PassThrough would also build a writable side and pass
    // the bytes through a transform, for nothing, on every request.
    const replay = new Readable({ read() {} });
    if (body !== undefined) replay.push(body);
    replay.push(null);
    return replay;
  };
}
