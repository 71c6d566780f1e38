import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { Sandbox, SandboxApp } from '../src/index';

/*
 * An independent AURA-HMAC-SHA256 signer, written from docs/PROTOCOL.md with node:crypto alone (not
 * @aura/core), so that the sandbox is checked against the protocol rather than against itself.
 * It handles what these tests send: absolute http URLs with plain paths and queries.
 */

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

export interface SignInput {
  appId: string;
  appSecret: string;
  method: string;
  url: string;
  body?: string;
  /** Overrides the Host that is signed (default: the URL's host, which fetch sends). */
  host?: string;
  timestamp?: number;
  nonce?: string;
}

export function signIndependently(input: SignInput): Record<string, string> {
  const url = new URL(input.url);
  const ts = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  const date = new Date(Number(ts) * 1000).toISOString().slice(0, 10).replace(/-/g, '');
  const nonce = input.nonce ?? randomUUID();
  const headers: Record<string, string> = {
    host: input.host ?? url.host,
    'x-aura-nonce': nonce,
    'x-aura-timestamp': ts,
  };
  if (input.body !== undefined) headers['content-type'] = 'application/json';
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names
    .map((n) => `${n}:${headers[n]!.trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const query = url.search === '' ? '' : url.search.slice(1).split('&').sort().join('&');
  const canonicalRequest = [
    input.method.toUpperCase(),
    url.pathname,
    query,
    canonicalHeaders,
    names.join(';'),
    sha256(input.body ?? ''),
  ].join('\n');
  const stringToSign = [
    'AURA-HMAC-SHA256',
    ts,
    `${input.appId}/${date}/aura_request`,
    sha256(canonicalRequest),
  ].join('\n');
  const dateKey = hmac(`AURA${input.appSecret}`, date);
  const signingKey = hmac(dateKey, 'aura_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  const out: Record<string, string> = {
    'X-Aura-Timestamp': ts,
    'X-Aura-Nonce': nonce,
    Authorization: `AURA-HMAC-SHA256 Credential=${input.appId},SignedHeaders=${names.join(';')},Signature=${signature}`,
  };
  if (input.body !== undefined) out['Content-Type'] = 'application/json';
  return out;
}

export interface ExchangeOptions {
  app?: SandboxApp;
  apiKey?: string | null;
  timestamp?: number;
  nonce?: string;
  /** Changes the body after signing (to break the signature). */
  tamper?: boolean;
}

/** Signs and sends `POST /auth/exchange`; answers the raw Response. */
export async function exchangeRaw(
  sb: Sandbox,
  body: unknown = { ttl: 3600, scopes: ['upload:init', 'upload:manage', 'integration:read'] },
  options: ExchangeOptions = {},
): Promise<Response> {
  const app = options.app ?? sb.credentials;
  const url = `${sb.apiUrl}/auth/exchange`;
  const text = JSON.stringify(body);
  const headers = signIndependently({
    appId: app.appId,
    appSecret: app.appSecret,
    method: 'POST',
    url,
    body: text,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
  });
  const apiKey = options.apiKey === undefined ? app.apiKey : options.apiKey;
  if (apiKey !== null) headers['X-Api-Key'] = apiKey;
  return fetch(url, {
    method: 'POST',
    headers,
    body: options.tamper === true ? text.replace('3600', '3601') : text,
  });
}

/** Exchanges and answers the token (failing the test on anything but 200). */
export async function getToken(
  sb: Sandbox,
  body: Record<string, unknown> = {},
  options: ExchangeOptions = {},
): Promise<string> {
  const res = await exchangeRaw(sb, body, options);
  const json = (await res.json()) as { token: string };
  if (res.status !== 200) throw new Error(`exchange failed: ${res.status} ${JSON.stringify(json)}`);
  return json.token;
}

/** A bearer call to the API with JSON. */
export async function api(
  sb: Sandbox,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const all: Record<string, string> = { 'X-Api-Key': sb.credentials.apiKey, ...headers };
  if (token !== undefined) all.Authorization = `Bearer ${token}`;
  if (body !== undefined) all['Content-Type'] = 'application/json';
  for (const [k, v] of Object.entries(all)) if (v === '') delete all[k];
  const res = await fetch(`${sb.apiUrl}${path}`, {
    method,
    headers: all,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    headers: res.headers,
  };
}

export function initBody(uploadId: string = randomUUID()): Record<string, unknown> {
  return {
    upload_id: uploadId,
    studies: {
      '1.2.840.113619.2.55.3.1': {
        patient_name: 'Test^Patient',
        patient_id: 'PAT-1',
        study_date: '20240125',
        modalities: ['CT'],
        series_count: 1,
        images: 2,
      },
    },
    mode: 'bulk',
    source: 'sandbox-test',
  };
}

/* A minimal tus 1.0 client on fetch: create, patch, head. */

function tusMetadata(meta: Record<string, string>): string {
  return Object.entries(meta)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
}

export async function tusCreate(
  endpoint: string,
  token: string,
  length: number,
  meta: Record<string, string>,
  extra: Record<string, string> = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    'Tus-Resumable': '1.0.0',
    'Upload-Length': String(length),
    Authorization: `Bearer ${token}`,
    ...extra,
  };
  if (Object.keys(meta).length > 0) headers['Upload-Metadata'] = tusMetadata(meta);
  return fetch(endpoint, { method: 'POST', headers });
}

export async function tusPatch(
  location: string,
  token: string,
  offset: number,
  bytes: Uint8Array,
): Promise<Response> {
  return fetch(location, {
    method: 'PATCH',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Offset': String(offset),
      'Content-Type': 'application/offset+octet-stream',
      Authorization: `Bearer ${token}`,
    },
    body: bytes,
  });
}

export async function tusHead(location: string, token: string): Promise<Response> {
  return fetch(location, {
    method: 'HEAD',
    headers: { 'Tus-Resumable': '1.0.0', Authorization: `Bearer ${token}` },
  });
}

/** Creates and sends a whole file in one PATCH; answers the upload URL. */
export async function tusUpload(
  endpoint: string,
  token: string,
  bytes: Uint8Array,
  meta: Record<string, string>,
): Promise<string> {
  const created = await tusCreate(endpoint, token, bytes.length, meta);
  if (created.status !== 201) {
    throw new Error(`tus create failed: ${created.status} ${await created.text()}`);
  }
  const location = created.headers.get('location')!;
  const patched = await tusPatch(location, token, 0, bytes);
  if (patched.status !== 204) {
    throw new Error(`tus patch failed: ${patched.status} ${await patched.text()}`);
  }
  return location;
}

export function randomBytesOf(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = x & 0xff;
  }
  return out;
}
