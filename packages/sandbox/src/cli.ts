#!/usr/bin/env node
import { parseCliArgs, USAGE } from './args';
import { redactText } from './log';
import { startSandbox } from './sandbox';

/** The port asked for, for the message when it is taken. */
let port: number | undefined;

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseCliArgs>;
  try {
    parsed = parseCliArgs(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`aura-sandbox: ${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }

  port = parsed.options.port;
  const sandbox = await startSandbox({
    ...parsed.options,
    onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
  });
  // The last line of defence for a tool that must keep serving: an error that escaped a
  // request's own handling (a library's callback, a stream's event) is told, not fatal.
  const escaped = (error: unknown): void => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(
      `aura-sandbox: an error escaped while serving (still serving): ${redactText(text)}\n`,
    );
  };
  process.on('uncaughtException', escaped);
  process.on('unhandledRejection', escaped);
  // Handlers go in before the banner: whoever reads the banner may signal at once.
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal means "now".
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the sandbox…\n`);
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    sandbox.close().then(
      () => {
        process.stdout.write('Sandbox stopped.\n');
        process.exitCode = 0;
      },
      (error: unknown) => {
        process.stderr.write(`aura-sandbox: could not close cleanly: ${String(error)}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const { credentials: c } = sandbox;
  const lines = [
    `Aura sandbox listening on ${sandbox.apiUrl}`,
    '',
    `  API base URL   ${sandbox.apiUrl}`,
    `  tus endpoint   ${sandbox.tusUrl}`,
    `  health         ${sandbox.url}/_sandbox/health`,
    '',
    '  Development credentials (they open nothing but this sandbox):',
  ];
  for (const app of c.apps) {
    lines.push(`  app id ${app.appId}   secret ${app.appSecret}   API key ${app.apiKey}`);
  }
  if (c.captureKey !== undefined) lines.push(`  capture key ${c.captureKey}`);
  lines.push(
    '',
    `  AURA_BASE_URL=${sandbox.apiUrl} AURA_APP_ID=${c.appId} AURA_APP_SECRET=${c.appSecret} AURA_API_KEY=${c.apiKey}`,
    '',
    'Press Ctrl+C to stop.',
    '',
  );
  process.stdout.write(lines.join('\n'));
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException)?.code;
  const message =
    code === 'EADDRINUSE'
      ? `port ${port ?? '?'} is already in use: stop what holds it, or choose another with --port <n> (or PORT=<n>); --port 0 or PORT=0 picks a free one.`
      : error instanceof Error
        ? error.message
        : String(error);
  process.stderr.write(`aura-sandbox: ${message}\n`);
  process.exitCode = 1;
});
