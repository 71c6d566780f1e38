import {
  AuraClient,
  type AuraEnvConfig,
  auraConfigFromEnv,
  isAuraError,
  UPLOADER_SCOPES,
} from '@aura/core';
import { booleanFlag, parseFlags } from '../args';
import { EXIT_FAILED, EXIT_OK } from '../errors';
import type { CliIo } from '../io';

export const DOCTOR_USAGE = `Usage: aura doctor [options]

Checks an Aura set-up from the AURA_* environment, in order: the configuration, that the API
answers, the clock against the server's Date, a real token exchange, that the token has the
scopes the vendor's uploader widget needs, and the uploader config. All green: every line is
shown. Otherwise one line says what is wrong and what to do.

Options:
  --verbose                on a failure, also show the checks that passed before it
  -h, --help               show this help
`;

const DOCTOR_FLAGS = {
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Each call the doctor makes is bounded by this, whatever AURA_TIMEOUT says. */
const CHECK_TIMEOUT_MS = 5_000;
/** Beyond this the clock is worth a warning; the verifier's window is 300 s by default. */
const SKEW_WARN_SECONDS = 30;
const SKEW_FAIL_SECONDS = 300;

class CheckFailed extends Error {}

interface Line {
  ok: boolean;
  name: string;
  detail: string;
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  if ((error as Error).name === 'TimeoutError')
    return `no answer within ${CHECK_TIMEOUT_MS / 1000} s`;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND') return 'host name not found';
  return code ?? cause?.message ?? (error as Error).message;
}

export async function doctorCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(argv, DOCTOR_FLAGS);
  if (booleanFlag(parsed, 'help')) {
    io.stdout(DOCTOR_USAGE);
    return EXIT_OK;
  }
  const lines: Line[] = [];
  const pass = (name: string, detail: string) => lines.push({ ok: true, name, detail });
  const fail = (name: string, detail: string): never => {
    lines.push({ ok: false, name, detail });
    throw new CheckFailed(detail);
  };

  try {
    // 1. Configuration: every AURA_* variable present and well-formed.
    let config: AuraEnvConfig;
    try {
      config = auraConfigFromEnv(io.env);
    } catch (error) {
      return fail('configuration', (error as Error).message.replace(/\s*\n\s*/g, '; '));
    }
    pass(
      'configuration',
      `AURA_BASE_URL ${config.baseUrl}, app ${config.appId}, secret and API key set`,
    );

    // 2. Reachability: any HTTP answer from the API root will do.
    const started = io.now();
    let answer: Response;
    try {
      answer = await fetch(config.baseUrl, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
      await answer.body?.cancel();
    } catch (error) {
      return fail(
        'reachable',
        `cannot reach ${config.baseUrl} (${networkReason(error)}): is the Aura API, or the sandbox, running there? Start a sandbox with \`aura sandbox\`, or fix AURA_BASE_URL`,
      );
    }
    pass('reachable', `${config.baseUrl} answered ${answer.status} in ${io.now() - started} ms`);

    // 3. Clock: signatures carry the time, and the server refuses one too far from its own.
    const date = answer.headers.get('date');
    const serverMs = date === null ? Number.NaN : Date.parse(date);
    if (Number.isNaN(serverMs)) {
      pass('clock', 'the server sent no Date header, so the skew cannot be measured');
    } else {
      // The Date header has whole seconds; compare with the middle of the round trip.
      const skew = Math.round((started + (io.now() - started) / 2 - serverMs) / 1000);
      // The Date header has whole seconds, so a second either way is no skew at all.
      const how =
        Math.abs(skew) <= 1
          ? "your clock agrees with the server's Date (within 1 s)"
          : `your clock is ${Math.abs(skew)} s ${skew >= 0 ? 'ahead of' : 'behind'} the server's Date`;
      if (Math.abs(skew) > SKEW_FAIL_SECONDS) {
        fail(
          'clock',
          `${how}; signed calls are refused beyond ${SKEW_FAIL_SECONDS} s: sync the clock (NTP)`,
        );
      }
      pass(
        'clock',
        Math.abs(skew) > SKEW_WARN_SECONDS
          ? `${how} (within ${SKEW_FAIL_SECONDS} s, but sync it)`
          : how,
      );
    }

    // 4. A real exchange, with the scopes the uploader widget needs.
    const client = new AuraClient({
      ...config,
      timeoutMs: Math.min(config.timeoutMs, CHECK_TIMEOUT_MS),
      retry: { attempts: 2, maxRetryAfterMs: 2_000 },
    });
    let token: Awaited<ReturnType<AuraClient['exchangeToken']>>;
    try {
      token = await client.exchangeToken({ ttl: 60, scopes: [...UPLOADER_SCOPES] });
    } catch (error) {
      const text = isAuraError(error) ? `${error.code}: ${error.message}` : String(error);
      const hint =
        isAuraError(error) && error.status === 401
          ? ' (check AURA_APP_ID and AURA_APP_SECRET belong together, and AURA_API_KEY; `aura exchange --explain` shows what was signed)'
          : '';
      return fail('exchange', `POST /auth/exchange failed: ${text}${hint}`);
    }
    pass('exchange', `a token valid until ${token.expiresAt.toISOString()}`);

    // 5. Scopes: the widget calls init/start/complete and reads the config.
    const missing = UPLOADER_SCOPES.filter((scope) => !token.scopes.includes(scope));
    if (missing.length > 0) {
      fail(
        'scopes',
        `the token lacks ${missing.join(', ')}, which the uploader widget needs: ask Aura to grant the app these scopes`,
      );
    }
    pass('scopes', `${token.scopes.join(', ')}: what the uploader widget needs`);

    // 6. The uploader config, read with that token, as the widget does.
    let lift: unknown;
    try {
      const response = await fetch(`${config.baseUrl}/uploader/config`, {
        headers: { Authorization: `Bearer ${token.token}`, 'X-Api-Key': config.apiKey },
        signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
      });
      const body = (await response.json().catch(() => undefined)) as { lift?: unknown } | undefined;
      if (!response.ok) {
        fail('uploader config', `GET /uploader/config answered ${response.status}`);
      }
      lift = body?.lift;
    } catch (error) {
      if (error instanceof CheckFailed) throw error;
      fail('uploader config', `GET /uploader/config failed (${networkReason(error)})`);
    }
    const endpoint = (lift as { endpoint?: unknown } | undefined)?.endpoint;
    if (typeof endpoint !== 'string') {
      fail('uploader config', 'GET /uploader/config answered no lift.endpoint for the tus upload');
    }
    pass('uploader config', `tus uploads go to ${endpoint as string}`);
  } catch (error) {
    if (!(error instanceof CheckFailed)) throw error;
    const failed = lines[lines.length - 1]!;
    if (booleanFlag(parsed, 'verbose')) {
      for (const line of lines.slice(0, -1)) io.stdout(`✓ ${line.name}: ${line.detail}\n`);
    }
    io.stderr(`✗ ${failed.name}: ${failed.detail}\n`);
    return EXIT_FAILED;
  }
  const width = Math.max(...lines.map((l) => l.name.length));
  for (const line of lines) io.stdout(`✓ ${line.name.padEnd(width)}  ${line.detail}\n`);
  io.stdout(`All ${lines.length} checks passed.\n`);
  return EXIT_OK;
}
