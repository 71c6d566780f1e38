import { AuraClient, auraConfigFromEnv, isAuraError } from '@aura/core';
import { booleanFlag, integerFlag, parseFlags, stringFlag } from '../args';
import { EXIT_FAILED, EXIT_OK, usageError } from '../errors';
import type { CliIo } from '../io';
import { explainRecorded, recordingFetch } from '../recording-fetch';
import { formatExplanation } from './sign';

export const EXCHANGE_USAGE = `Usage: aura exchange [options]

Exchanges the app's HMAC credentials for an upload token (POST /auth/exchange), configured by
the AURA_* environment: AURA_BASE_URL, AURA_APP_ID, AURA_APP_SECRET, AURA_API_KEY.
When Aura refuses the signature, the signed request is explained step by step.

Options:
  --ttl <seconds>          the token's lifetime (default AURA_TOKEN_TTL, else 3600)
  --scopes <a,b,…>         the scopes to ask for (default AURA_DEFAULT_SCOPES, else all three)
  --max-uses <n>           how many calls the token may make
  --explain                also print the signed exchange's canonical request and signature
  --json                   print { token, expires_at, scopes, max_uses } as JSON
  -h, --help               show this help
`;

const EXCHANGE_FLAGS = {
  ttl: { type: 'string' },
  scopes: { type: 'string' },
  'max-uses': { type: 'string' },
  explain: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function exchangeCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(argv, EXCHANGE_FLAGS);
  if (booleanFlag(parsed, 'help')) {
    io.stdout(EXCHANGE_USAGE);
    return EXIT_OK;
  }
  const ttl = integerFlag(parsed, 'ttl', 1, 86_400);
  const maxUses = integerFlag(parsed, 'max-uses', 1, 1_000_000);
  const scopesText = stringFlag(parsed, 'scopes');
  const scopes = scopesText
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (scopes !== undefined && scopes.length === 0) throw usageError('--scopes is empty');

  let config: ReturnType<typeof auraConfigFromEnv>;
  try {
    config = auraConfigFromEnv(io.env);
  } catch (error) {
    io.stderr(`aura exchange: ${(error as Error).message}\n`);
    return EXIT_FAILED;
  }
  const recorder = recordingFetch();
  const client = new AuraClient({ ...config, fetch: recorder.fetch });
  const explain = async () => {
    const signed = recorder.lastSigned();
    if (signed === undefined) return;
    const explanation = await explainRecorded(signed, config.appId, config.appSecret);
    io.stdout(
      `\nThe signed exchange (${signed.method} ${signed.url}):\n${formatExplanation(explanation)}`,
    );
  };
  try {
    const token = await client.exchangeToken({
      ...(ttl === undefined ? {} : { ttl }),
      ...(scopes === undefined ? {} : { scopes }),
      ...(maxUses === undefined ? {} : { maxUses }),
    });
    if (booleanFlag(parsed, 'json')) {
      io.stdout(
        `${JSON.stringify(
          {
            token: token.token,
            expires_at: token.expiresAt.toISOString(),
            scopes: token.scopes,
            ...(token.maxUses === undefined ? {} : { max_uses: token.maxUses }),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      const seconds = Math.round((token.expiresAt.getTime() - io.now()) / 1000);
      io.stdout(
        [
          `token       ${token.token}`,
          `expires at  ${token.expiresAt.toISOString()} (in ${seconds} s)`,
          `scopes      ${token.scopes.join(' ')}`,
          ...(token.maxUses === undefined ? [] : [`max uses    ${token.maxUses}`]),
          '',
        ].join('\n'),
      );
    }
    if (booleanFlag(parsed, 'explain')) await explain();
    return EXIT_OK;
  } catch (error) {
    const text = isAuraError(error) ? `${error.code}: ${error.message}` : String(error);
    io.stderr(`aura exchange: ${text}\n`);
    // A refused signature is the moment to see exactly what was signed.
    if (booleanFlag(parsed, 'explain') || (isAuraError(error) && error.status === 401)) {
      await explain();
    }
    return EXIT_FAILED;
  }
}
