import { createHash } from 'node:crypto';
import { explainSignature, type SignatureExplanation, signRequest } from '@aura/core';
import { booleanFlag, integerFlag, listFlag, type Parsed, parseFlags, stringFlag } from '../args';
import { EXIT_OK, usageError } from '../errors';
import { parseHeaderFlag, shellQuote, utf8OrUndefined } from '../http-parts';
import type { CliIo } from '../io';
import { readSecret } from '../secret';

export const SIGN_USAGE = `Usage: aura sign --url <path|url> [options]

Signs one request with AURA-HMAC-SHA256 (docs/PROTOCOL.md) and prints it as raw HTTP, ready
for \`aura verify\`; --explain shows every step, so a 401 can be compared line by line.

Options:
  --app-id <id>            the app id (default: AURA_APP_ID)
  --secret <secret>        the app secret (default: AURA_APP_SECRET; a flag lands in shell history)
  --method <method>        default POST with a body, else GET
  --url <path|url>         a path (/api/auth/exchange) or an absolute http(s) URL
  --base-url <url>         joined in front of a path (https://aura.example.com/api)
  --header 'Name: value'   a header to send (repeatable); Host is derived from the URL when absent
  --body <text>            the body, sent as UTF-8 exactly as given
  --body-file <file>       the body, the file's bytes (- for standard input)
  --timestamp <seconds>    Unix time to sign with (default now), to reproduce a signature
  --nonce <nonce>          nonce to sign with (default a fresh UUID v4)
  --explain                print the canonical request, its SHA-256, the string to sign, the
                           signature and the Authorization header
  --json                   print everything as JSON (also accepted by \`aura verify\`)
  --curl                   print a curl command that sends the signed request
  -h, --help               show this help

Example (the protocol's vector 1):
  AURA_APP_SECRET=test-secret-key aura sign --explain --app-id test-app-id \\
    --timestamp 1706140800 --nonce 550e8400-e29b-41d4-a716-446655440000 \\
    --method POST --url /api/auth/exchange --header 'Host: aura.example.com' \\
    --header 'Content-Type: application/json' \\
    --body '{"ttl":3600,"scopes":["upload:init","upload:manage"]}'
`;

export const SIGN_FLAGS = {
  'app-id': { type: 'string' },
  secret: { type: 'string' },
  method: { type: 'string' },
  url: { type: 'string' },
  'base-url': { type: 'string' },
  header: { type: 'string', multiple: true },
  body: { type: 'string' },
  'body-file': { type: 'string' },
  timestamp: { type: 'string' },
  nonce: { type: 'string' },
  explain: { type: 'boolean' },
  json: { type: 'boolean' },
  curl: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What `aura sign --json` prints, and what `aura verify` reads back. */
export interface SignedJson {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The body as UTF-8 text; `bodyBase64` instead when the bytes are not UTF-8. */
  body?: string;
  bodyBase64?: string;
  canonicalRequest: string;
  canonicalRequestHash: string;
  stringToSign: string;
  signedHeaders: string;
  payloadHash: string;
  credentialScope: string;
  signature: string;
  authorization: string;
}

async function readBody(parsed: Parsed, io: CliIo): Promise<string | Uint8Array | undefined> {
  const text = stringFlag(parsed, 'body');
  const file = stringFlag(parsed, 'body-file');
  if (text !== undefined && file !== undefined) {
    throw usageError('give --body or --body-file, not both');
  }
  if (file === undefined) return text;
  try {
    return await io.readInput(file);
  } catch (error) {
    throw usageError(`--body-file ${file}: ${(error as Error).message}`);
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Origin-form target (`/path?query`) of a signed URL, which may be absolute. */
export function requestTarget(url: string): string {
  const match = /^https?:\/\/[^/?#]*(.*)$/i.exec(url);
  const rest = match === null ? url : match[1]!;
  return rest === '' || rest.startsWith('?') ? `/${rest}` : rest;
}

function bodyBytes(body: string | Uint8Array | undefined): Uint8Array | undefined {
  if (body === undefined) return undefined;
  return typeof body === 'string' ? new TextEncoder().encode(body) : body;
}

/** The signed request as raw HTTP/1.1 text (LF line ends), readable by `aura verify`. */
export function formatRawHttp(json: SignedJson): string {
  const lines = [`${json.method} ${requestTarget(json.url)} HTTP/1.1`];
  for (const [name, value] of Object.entries(json.headers)) lines.push(`${name}: ${value}`);
  const size =
    json.body !== undefined
      ? new TextEncoder().encode(json.body).length
      : json.bodyBase64 !== undefined
        ? Buffer.from(json.bodyBase64, 'base64').length
        : 0;
  if (size > 0 && !Object.keys(json.headers).some((n) => n.toLowerCase() === 'content-length')) {
    lines.push(`Content-Length: ${size}`);
  }
  const body =
    json.body ??
    (json.bodyBase64 === undefined
      ? ''
      : Buffer.from(json.bodyBase64, 'base64').toString('latin1'));
  return `${lines.join('\n')}\n\n${body}`;
}

export function formatExplanation(
  explanation: SignatureExplanation & { authorization?: string },
): string {
  const indent = (text: string) =>
    text
      .split('\n')
      .map((line) => (line === '' ? '' : `  ${line}`))
      .join('\n');
  const parts = [
    'Canonical request:',
    indent(explanation.canonicalRequest),
    '',
    `Canonical request SHA-256: ${sha256Hex(explanation.canonicalRequest)}`,
    '',
    'String to sign:',
    indent(explanation.stringToSign),
    '',
    `Signature: ${explanation.signature}`,
  ];
  if (explanation.authorization !== undefined) {
    parts.push(`Authorization: ${explanation.authorization}`);
  }
  return `${parts.join('\n')}\n`;
}

function curlCommand(json: SignedJson, bodyFromFile: string | undefined): string {
  const hostHeader = Object.entries(json.headers).find(([n]) => n.toLowerCase() === 'host')?.[1];
  // A path-only URL was signed for the Host header given; curl needs somewhere to send it.
  const absolute = /^https?:\/\//i.test(json.url);
  const url = absolute ? json.url : `https://${hostHeader ?? 'localhost'}${json.url}`;
  const urlHost = /^https?:\/\/([^/?#]*)/i.exec(url)?.[1];
  const args = ['curl', '-sS', '-X', json.method, shellQuote(url)];
  for (const [name, value] of Object.entries(json.headers)) {
    // curl derives Host from the URL; it is passed only when it differs from it.
    if (name.toLowerCase() === 'host' && value === urlHost) continue;
    args.push('-H', shellQuote(`${name}: ${value}`));
  }
  if (bodyFromFile !== undefined && bodyFromFile !== '-') {
    args.push('--data-binary', shellQuote(`@${bodyFromFile}`));
  } else if (json.body !== undefined) {
    args.push('--data-binary', shellQuote(json.body));
  } else if (json.bodyBase64 !== undefined) {
    args.push('--data-binary', '@-');
    return `printf '%s' ${shellQuote(json.bodyBase64)} | base64 -d | ${args.join(' ')}\n`;
  }
  return `${args.join(' ')}\n`;
}

export async function signCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(argv, SIGN_FLAGS);
  if (booleanFlag(parsed, 'help')) {
    io.stdout(SIGN_USAGE);
    return EXIT_OK;
  }
  const url = stringFlag(parsed, 'url');
  if (url === undefined || url === '') throw usageError('--url is required');
  const appId = stringFlag(parsed, 'app-id') ?? io.env.AURA_APP_ID?.trim();
  if (appId === undefined || appId === '') {
    throw usageError('--app-id is required (or set AURA_APP_ID)');
  }
  if (booleanFlag(parsed, 'json') && booleanFlag(parsed, 'curl')) {
    throw usageError('give --json or --curl, not both');
  }
  const timestamp = integerFlag(parsed, 'timestamp', 0, 253_402_300_799);
  const nonce = stringFlag(parsed, 'nonce');
  const headers: Record<string, string> = {};
  for (const text of listFlag(parsed, 'header')) {
    const [name, value] = parseHeaderFlag(text);
    if (Object.keys(headers).some((n) => n.toLowerCase() === name.toLowerCase())) {
      throw usageError(`--header ${name} is given twice`);
    }
    headers[name] = value;
  }
  const body = await readBody(parsed, io);
  const method = stringFlag(parsed, 'method') ?? (body === undefined ? 'GET' : 'POST');
  const secret = readSecret(parsed, io, 'sign');

  const credentials = { appId, appSecret: secret };
  const request = { method, url, baseUrl: stringFlag(parsed, 'base-url'), headers, body };
  const options = { timestamp, nonce };
  const signed = await signRequest(credentials, request, options);
  // The same timestamp and nonce give the very same signature, with every step shown.
  const explanation = await explainSignature(credentials, request, {
    timestamp: signed.headers['X-Aura-Timestamp'],
    nonce: signed.headers['X-Aura-Nonce'],
  });
  const bytes = bodyBytes(signed.body);
  const text = bytes === undefined ? undefined : utf8OrUndefined(bytes);
  const json: SignedJson = {
    method: signed.method,
    url: signed.url,
    headers: signed.headers,
    ...(bytes === undefined
      ? {}
      : text !== undefined
        ? { body: text }
        : { bodyBase64: Buffer.from(bytes).toString('base64') }),
    canonicalRequest: explanation.canonicalRequest,
    canonicalRequestHash: sha256Hex(explanation.canonicalRequest),
    stringToSign: explanation.stringToSign,
    signedHeaders: explanation.signedHeaders,
    payloadHash: explanation.payloadHash,
    credentialScope: explanation.credentialScope,
    signature: explanation.signature,
    authorization: signed.headers.Authorization!,
  };

  if (booleanFlag(parsed, 'json')) {
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    return EXIT_OK;
  }
  if (booleanFlag(parsed, 'explain')) {
    io.stdout(formatExplanation(json));
    if (booleanFlag(parsed, 'curl'))
      io.stdout(`\n${curlCommand(json, stringFlag(parsed, 'body-file'))}`);
    return EXIT_OK;
  }
  if (booleanFlag(parsed, 'curl')) {
    io.stdout(curlCommand(json, stringFlag(parsed, 'body-file')));
    return EXIT_OK;
  }
  const raw = formatRawHttp(json);
  // A body gets a final newline for the terminal; Content-Length says where it really ends.
  io.stdout(raw.endsWith('\n') ? raw : `${raw}\n`);
  return EXIT_OK;
}
