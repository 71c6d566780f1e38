// The README's "Verifying inbound calls" example, taken from the README itself and run as
// written (plus one line exporting its server), so the docs cannot drift from the code.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../src/index';

const README = fileURLToPath(new URL('../README.md', import.meta.url));
const credentials = { appId: 'billing-service', appSecret: 'billing-secret-for-the-readme-test' };

function verifyExample(): string {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('## Verifying inbound calls'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (match === null) throw new Error('no ts block in the README verify section');
  return match[1]!;
}

let dir: string;
let server: Server;
let port: number;

beforeAll(async () => {
  process.env.BILLING_SECRET = credentials.appSecret;
  process.env.PORT = '0';
  dir = mkdtempSync(path.join(tmpdir(), 'aura-readme-verify-'));
  const file = path.join(dir, 'server.ts');
  writeFileSync(file, `${verifyExample()}\nexport { server };\n`);
  ({ server } = (await import(/* @vite-ignore */ file)) as { server: Server });
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  delete process.env.BILLING_SECRET;
  delete process.env.PORT;
});

interface Answer {
  status: number;
  body: { caller?: string; received?: unknown; error?: { code: string } };
}

/** Sends a request to the example server on 127.0.0.1, with the given Host header. */
function send(
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: string | Uint8Array,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path: target, headers, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end(body);
  });
}

async function signedOrder(url = '/api/orders') {
  return signRequest(credentials, {
    method: 'POST',
    url,
    headers: { Host: 'api.partner.example' },
    body: { amount: 42 },
  });
}

describe('@aura/core README: the node:http verify example', () => {
  it('admits a signed call from billing-service and reads its JSON', async () => {
    const signed = await signedOrder();
    const answer = await send('POST', signed.url, signed.headers, signed.body);
    expect(answer).toEqual({
      status: 200,
      body: { caller: 'billing-service', received: { amount: 42 } },
    });
  });

  it('refuses the same call replayed, and one with a changed body', async () => {
    const signed = await signedOrder();
    expect((await send('POST', signed.url, signed.headers, signed.body)).status).toBe(200);
    const replay = await send('POST', signed.url, signed.headers, signed.body);
    expect(replay).toEqual({
      status: 401,
      body: { error: expect.objectContaining({ code: 'replayed_nonce' }) },
    });
    const fresh = await signedOrder();
    const changed = await send('POST', fresh.url, fresh.headers, '{"amount":4200}');
    expect(changed.body.error?.code).toBe('invalid_signature');
  });

  it('refuses a call signed for /api/exchange sent as /api/auth\\/../exchange (invalid_path)', async () => {
    const signed = await signedOrder('/api/exchange');
    const answer = await send('POST', '/api/auth\\/../exchange', signed.headers, signed.body);
    expect(answer).toMatchObject({ status: 400, body: { error: { code: 'invalid_path' } } });
  });

  it('refuses an unsigned call and a call for another host', async () => {
    expect(
      (await send('GET', '/api/orders', { Host: 'api.partner.example' })).body.error?.code,
    ).toBe('missing_authorization');
    const elsewhere = await signRequest(credentials, {
      method: 'GET',
      url: '/api/orders',
      headers: { Host: 'other.example' },
    });
    expect((await send('GET', elsewhere.url, elsewhere.headers)).body.error?.code).toBe(
      'host_not_allowed',
    );
  });
});
