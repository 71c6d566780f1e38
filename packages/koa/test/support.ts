import type { AddressInfo } from 'node:net';
import { signRequest } from '@aura/core';
import Koa from 'koa';
import Koa2 from 'koa2';

/** Every Koa major the package claims, each run by the same tests. */
export const KOA_MAJORS = [
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
] as const;

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Serves `app` on 127.0.0.1, a free port. */
export async function listen(app: Koa): Promise<Listening> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A body parser that consumes the request stream and keeps only the parsed value, as koa-body
 *  does without `includeUnparsed` and as hand-written parsers do. */
export async function parseAndForget(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  let text = '';
  for await (const chunk of ctx.req) text += chunk;
  ctx.request.body = text === '' ? undefined : JSON.parse(text);
  await next();
}

/** A partner service's own credentials for the inbound calls these tests sign. */
export const CALLER = { appId: 'billing-worker', appSecret: 'billing-worker-secret-0123456789' };

/** POSTs `body` exactly as given (its own spacing) to `url`, signed by `CALLER`. */
export async function signedPost(
  url: string,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Response> {
  const signed = await signRequest(CALLER, { method: 'POST', url, headers, body });
  return fetch(signed.url, {
    method: signed.method,
    headers: signed.headers,
    body: signed.body,
    signal: AbortSignal.timeout(5000),
  });
}

/** A plain POST of JSON, with a deadline. */
export function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
}
