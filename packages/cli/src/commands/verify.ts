import {
  explainSignature,
  MemoryNonceStore,
  parseAuthorization,
  type SignatureExplanation,
  type VerifyFailureCode,
  verifyRequest,
} from '@aura/core';
import { booleanFlag, integerFlag, type Parsed, parseFlags, stringFlag } from '../args';
import { type CapturedRequest, headerOf, parseCaptured } from '../captured';
import { EXIT_FAILED, EXIT_OK, usageError } from '../errors';
import { utf8OrUndefined } from '../http-parts';
import type { CliIo } from '../io';
import { readSecret } from '../secret';
import { sha256Hex } from './sign';

export const VERIFY_USAGE = `Usage: aura verify [file] [options]

Checks a captured request against an app secret, as Aura's verifier would (docs/VERIFIER.md),
and names the rule it breaks. For a bad signature it shows the canonical request rebuilt from
what arrived beside the one the sender signed, and where the two part.

The request is raw HTTP text (request line, headers, blank line, body) or the JSON that
\`aura sign --json\` prints; from the file given, or standard input.

Options:
  --secret <secret>            the app secret (default: AURA_APP_SECRET; a flag lands in shell history)
  --app-id <id>                the app id the secret belongs to (default: AURA_APP_ID, else the
                               request's Credential)
  --now <seconds>              the Unix time to check the timestamp against (default now)
  --skew <seconds>             accepted clock difference (default 300)
  --host <name>                a host name this service answers to (repeatable; default any)
  --signed-canonical <file>    the canonical request the sender logged, to compare with
  -h, --help                   show this help

Example:
  aura sign --url /api/auth/exchange --base-url http://127.0.0.1:4010 --body '{"ttl":60}' --json > req.json
  aura verify req.json
`;

const VERIFY_FLAGS = {
  secret: { type: 'string' },
  'app-id': { type: 'string' },
  now: { type: 'string' },
  skew: { type: 'string' },
  host: { type: 'string', multiple: true },
  'signed-canonical': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The rule each failure breaks, in the words of docs/VERIFIER.md. */
const RULES: Record<VerifyFailureCode, string> = {
  missing_authorization: 'a signed request carries Authorization: AURA-HMAC-SHA256 …',
  authorization_too_long: 'the Authorization header has a bounded length',
  unsupported_scheme: 'the Authorization scheme is exactly AURA-HMAC-SHA256',
  malformed_authorization:
    'Authorization is Credential=<app id>,SignedHeaders=<list>,Signature=<64 lowercase hex>, each once',
  duplicate_header: 'Authorization, Host and X-Aura-* appear once each',
  signed_headers_incomplete: 'SignedHeaders includes host, x-aura-nonce and x-aura-timestamp',
  unsigned_header: 'every X-Aura-* header, and a non-empty Content-Type, is signed',
  signed_header_missing: 'every header named in SignedHeaders is present and not empty',
  invalid_timestamp: 'X-Aura-Timestamp is whole Unix seconds as plain digits',
  timestamp_out_of_window: "X-Aura-Timestamp is within the accepted skew of the verifier's clock",
  invalid_nonce: 'X-Aura-Nonce is 1 to 128 visible ASCII characters',
  host_not_allowed: 'the signed Host is one this service answers to',
  invalid_method: 'the method is an HTTP token',
  invalid_path: 'the path reads the same to every router (no dot segments, no //, valid %-escapes)',
  invalid_signature:
    'the signature is the HMAC of the canonical request rebuilt from what arrived, with the secret of the Credential',
  app_not_allowed: 'the app id is one allowed to call',
  replayed_nonce: 'a nonce is used once',
  nonce_store_unavailable: 'the nonce store answers in time',
  nonce_store_full: 'the nonce store has room',
  secret_lookup_failed: 'the secret lookup answers in time',
  verifier_error: 'the verifier is configured correctly',
};

const HINTS: Partial<Record<VerifyFailureCode, string>> = {
  timestamp_out_of_window:
    "sign just before sending, and check the sender's clock (aura doctor measures it against the server)",
  signed_header_missing: 'a proxy may have dropped or emptied the header after signing',
  unsigned_header: 'sign every X-Aura-* header and the Content-Type that is sent',
};

interface CanonicalParts {
  method: string;
  path: string;
  query: string;
  headers: string[];
  signedHeaders: string;
  payloadHash: string;
}

function splitCanonical(text: string): CanonicalParts | undefined {
  const lines = text.split('\n');
  const blank = lines.indexOf('', 3);
  if (lines.length < 6 || blank === -1 || lines.length !== blank + 3) return undefined;
  return {
    method: lines[0]!,
    path: lines[1]!,
    query: lines[2]!,
    headers: lines.slice(3, blank),
    signedHeaders: lines[blank + 1]!,
    payloadHash: lines[blank + 2]!,
  };
}

/** Each part of the canonical request that differs, with what it usually means. */
function differences(expected: string, got: string, bodySize: number): string[] {
  const a = splitCanonical(expected);
  const b = splitCanonical(got);
  if (a === undefined || b === undefined)
    return ['the sender’s canonical request is not in the usual six parts'];
  const out: string[] = [];
  if (a.method !== b.method) out.push(`method: received ${a.method}, signed ${b.method}`);
  if (a.path !== b.path) {
    out.push(`path: received ${a.path}, signed ${b.path} (a base URL path or a proxy prefix?)`);
  }
  if (a.query !== b.query) out.push(`query: received "${a.query}", signed "${b.query}"`);
  const names = new Set(
    [...a.headers, ...b.headers].map((line) => line.slice(0, line.indexOf(':'))),
  );
  for (const name of names) {
    const left = a.headers.find((l) => l.startsWith(`${name}:`));
    const right = b.headers.find((l) => l.startsWith(`${name}:`));
    if (left !== right) {
      out.push(
        `header ${name}: received "${left?.slice(name.length + 1) ?? '(none)'}", signed "${right?.slice(name.length + 1) ?? '(none)'}"`,
      );
    }
  }
  if (a.signedHeaders !== b.signedHeaders) {
    out.push(`signed headers: received ${a.signedHeaders}, signed ${b.signedHeaders}`);
  }
  if (a.payloadHash !== b.payloadHash) {
    out.push(
      `payload hash: the ${bodySize} body bytes received hash to ${a.payloadHash}, the sender hashed ${b.payloadHash}: the body is not the bytes that were signed (re-serialised JSON? a changed field? a trailing newline?)`,
    );
  }
  if (out.length === 0) {
    out.push(
      'none: both sides built the same canonical request, so the secret (or the app id, or the date in the credential scope) differs',
    );
  }
  return out;
}

/** Both canonical requests, line by line: `=` the same, `-` expected, `+` signed. */
function sideBySide(expected: string, got: string): string {
  const a = expected.split('\n');
  const b = got.split('\n');
  const lines: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const left = a[i];
    const right = b[i];
    if (left === right) lines.push(`  = ${left}`);
    else {
      lines.push(`  - ${left ?? '(no line)'}`);
      lines.push(`  + ${right ?? '(no line)'}`);
    }
  }
  return lines.join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? '' : `  ${line}`))
    .join('\n');
}

/**
 * The canonical request the verifier builds from what arrived, through the public signer: the
 * received method, target, signed header values, timestamp, nonce and body bytes. An absent
 * Content-Type is passed as empty, which the protocol leaves unsigned, as the verifier does.
 */
async function expectedExplanation(
  request: CapturedRequest,
  appId: string,
  secret: string,
  signedHeaders: string[],
): Promise<SignatureExplanation | string> {
  const extra = signedHeaders.filter(
    (n) => !['content-type', 'host', 'x-aura-nonce', 'x-aura-timestamp'].includes(n),
  );
  if (extra.length > 0) {
    return `the request signs headers the protocol does not (${extra.join(', ')}), so its canonical request cannot be rebuilt here`;
  }
  try {
    return await explainSignature(
      { appId, appSecret: secret },
      {
        method: request.method,
        url: request.target,
        headers: {
          Host: headerOf(request, 'host') ?? '',
          'Content-Type': signedHeaders.includes('content-type')
            ? (headerOf(request, 'content-type') ?? '')
            : '',
        },
        body: request.body,
      },
      {
        timestamp: headerOf(request, 'x-aura-timestamp'),
        nonce: headerOf(request, 'x-aura-nonce'),
      },
    );
  } catch (error) {
    return `its canonical request cannot be rebuilt: ${(error as Error).message}`;
  }
}

async function readInputFile(io: CliIo, path: string, what: string): Promise<Uint8Array> {
  try {
    return await io.readInput(path);
  } catch (error) {
    throw usageError(`${what} ${path}: ${(error as Error).message}`);
  }
}

async function readCaptured(
  parsed: Parsed,
  io: CliIo,
  positionals: string[],
): Promise<CapturedRequest> {
  if (positionals.length > 1)
    throw usageError(`one captured request at a time (got ${positionals.length} files)`);
  const file = positionals[0] ?? '-';
  if (file === '-' && io.stdinIsTty) {
    throw usageError('give the captured request as a file, or pipe it in on standard input');
  }
  const captured = parseCaptured(await readInputFile(io, file, 'reading'));
  const canonicalFile = stringFlag(parsed, 'signed-canonical');
  if (canonicalFile !== undefined) {
    const text = utf8OrUndefined(await readInputFile(io, canonicalFile, '--signed-canonical'));
    if (text === undefined) throw usageError('--signed-canonical: the file is not UTF-8 text');
    captured.signedCanonicalRequest = text.replace(/\r\n/g, '\n').replace(/\n$/, '');
  }
  return captured;
}

export async function verifyCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(argv, VERIFY_FLAGS, true);
  if (booleanFlag(parsed, 'help')) {
    io.stdout(VERIFY_USAGE);
    return EXIT_OK;
  }
  const nowSeconds = integerFlag(parsed, 'now', 0, 253_402_300_799);
  const skewSeconds = integerFlag(parsed, 'skew', 0, 86_400) ?? 300;
  const hosts = parsed.values.host as string[] | undefined;
  const secret = readSecret(parsed, io, 'verify');
  const request = await readCaptured(parsed, io, parsed.positionals);
  for (const note of request.notes) io.stderr(`note: ${note}\n`);

  const authorization = parseAuthorization(headerOf(request, 'authorization'));
  const credential = authorization.ok ? authorization.appId : undefined;
  const appIdFromEnv = io.env.AURA_APP_ID?.trim();
  const appId =
    stringFlag(parsed, 'app-id') ??
    (appIdFromEnv === undefined || appIdFromEnv === '' ? credential : appIdFromEnv);
  if (credential !== undefined && appId !== undefined && appId !== '' && appId !== credential) {
    io.stdout(
      `FAIL credential: the request is signed as app "${credential}", but the secret given belongs to "${appId}"\n`,
    );
    return EXIT_FAILED;
  }

  const nowMs = nowSeconds === undefined ? io.now() : nowSeconds * 1000;
  const result = await verifyRequest(
    { method: request.method, url: request.target, headers: request.headers, body: request.body },
    {
      secrets: appId === undefined || appId === '' ? {} : { [appId]: secret },
      skewSeconds,
      ...(hosts === undefined ? {} : { hosts }),
      now: () => nowMs,
      // A fresh store: a request checked twice here is not a replay.
      nonceStore: new MemoryNonceStore(),
    },
  );
  if (result.ok) {
    const drift = Number(headerOf(request, 'x-aura-timestamp')) - Math.floor(nowMs / 1000);
    io.stdout(
      `OK: the signature holds for app ${result.appId} (signed ${Math.abs(drift)} s ${drift > 0 ? 'ahead of' : 'before'} the time checked against, allowed ${skewSeconds} s)\n`,
    );
    return EXIT_OK;
  }

  const out = [
    `FAIL ${result.code} (the verifier answers ${result.status}): ${result.message}`,
    `rule: ${RULES[result.code]}`,
  ];
  const hint = HINTS[result.code];
  if (hint !== undefined) out.push(`hint: ${hint}`);
  if (result.code === 'invalid_signature' && authorization.ok && appId !== undefined) {
    const expected = await expectedExplanation(request, appId, secret, authorization.signedHeaders);
    if (typeof expected === 'string') out.push('', `note: ${expected}`);
    else {
      out.push(
        '',
        'Canonical request expected (rebuilt from the request as it arrived):',
        indent(expected.canonicalRequest),
        '',
        `Canonical request SHA-256: ${sha256Hex(expected.canonicalRequest)}`,
        `Signature expected: ${expected.signature}`,
        `Signature received: ${authorization.signature}`,
      );
      const got = request.signedCanonicalRequest;
      if (got === undefined) {
        out.push(
          '',
          `The sender's canonical request is not in this input. Print it on the sending side (aura sign --explain, or explainSignature) with --timestamp ${headerOf(request, 'x-aura-timestamp')} --nonce ${headerOf(request, 'x-aura-nonce')}, then pass it with --signed-canonical <file> to see where the two part.`,
        );
      } else {
        out.push(
          '',
          'Expected (-) beside what the sender signed (+):',
          sideBySide(expected.canonicalRequest, got),
          '',
          'Where they differ:',
          ...differences(expected.canonicalRequest, got, request.body?.length ?? 0).map(
            (line) => `  ${line}`,
          ),
        );
      }
    }
  }
  io.stdout(`${out.join('\n')}\n`);
  return EXIT_FAILED;
}
