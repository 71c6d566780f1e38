import type { AddressInfo } from 'node:net';
import { AuraClient, signRequest } from '@aura/core';
import type { Sandbox } from '@aura/sandbox';
import type { FastifyInstance } from 'fastify';

/** A client on the sandbox's development credentials. */
export function sandboxClient(sandbox: Sandbox): AuraClient {
  const { appId, appSecret, apiKey } = sandbox.credentials;
  return new AuraClient({ baseUrl: sandbox.apiUrl, appId, appSecret, apiKey });
}

/** The AURA_* environment for the sandbox, as `aura-sandbox` prints it. */
export function sandboxEnv(sandbox: Sandbox): Record<string, string> {
  const { appId, appSecret, apiKey } = sandbox.credentials;
  return {
    AURA_BASE_URL: sandbox.apiUrl,
    AURA_APP_ID: appId,
    AURA_APP_SECRET: appSecret,
    AURA_API_KEY: apiKey,
  };
}

/** Listens on 127.0.0.1, a free port; answers the base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export const CALLER = { appId: 'billing-service', appSecret: 'billing-secret-0123456789' };
export const secrets = { [CALLER.appId]: CALLER.appSecret };

/** A call signed by CALLER (or `as`), its body sent as the exact string given. */
export async function signedPost(
  url: string,
  body: string | undefined,
  options: {
    as?: typeof CALLER;
    headers?: Record<string, string>;
    tamper?: (b: string) => string;
  } = {},
): Promise<Response> {
  const signed = await signRequest(options.as ?? CALLER, {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...options.headers },
    body,
  });
  const sent = options.tamper && body !== undefined ? options.tamper(body) : signed.body;
  return fetch(signed.url, { method: 'POST', headers: signed.headers, body: sent });
}

/** The `{ error: { code, message } }` of an answer (fails the test when it has another shape). */
export async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { error?: { code: string; message: string } };
  if (typeof body?.error?.code !== 'string')
    throw new Error(`not an error body: ${JSON.stringify(body)}`);
  return body.error;
}
