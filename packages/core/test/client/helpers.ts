import { AuraClient, type AuraClientOptions } from '../../src/index';
import type { TestServer } from '../support/aura-server';

/** A client for the test server, with short backoffs so retries do not slow the suite. */
export function clientFor(server: TestServer, extra: Partial<AuraClientOptions> = {}): AuraClient {
  return new AuraClient({
    baseUrl: server.apiUrl,
    ...server.credentials,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...extra,
  });
}

/** Resolves once `check` stops throwing (real timers; a few seconds at most). */
export async function eventually(
  check: () => void | Promise<void>,
  timeoutMs = 3000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs; // not Date: some tests fake it
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
