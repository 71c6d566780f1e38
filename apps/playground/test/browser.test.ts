// The whole page flow in a real Chromium (Debian's `chromium`, driven by playwright-core), against
// the playground's own servers on port 0: what the page shows, and what the sandbox recorded.
// Screenshots land in test-artifacts/ (gitignored). Chromium comes from
// scripts/ensure-system-deps.sh; build the packages first (npx turbo run build --filter=@aura/playground^...).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlayground } from '../src/playground.js';

interface Playground {
  url: string;
  sandbox: import('@aura/sandbox').Sandbox;
  close(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.resolve(here, '../test-artifacts');
// The flags this machine needs: no setuid sandbox as root in a container, no GPU, and nothing
// that reaches outside (QUIC, background updates, sync, component downloads).
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, 'chromium', 'chromium-browser'];
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === '') continue;
    try {
      return execFileSync('sh', ['-c', `command -v "${candidate}"`], { encoding: 'utf8' }).trim();
    } catch {}
  }
  throw new Error(
    'chromium is not installed: run scripts/ensure-system-deps.sh as root (or set CHROMIUM_PATH)',
  );
}

let playground: Playground;
let context: BrowserContext;
let page: Page;
let profile: string;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// innerText, not textContent: the text as a person sees it (table cells split by tabs).
// biome-ignore lint/performance/useDomNodeTextContent: what is rendered is what is asserted
const text = (selector: string) => page.locator(selector).innerText();

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  playground = await startPlayground({ port: 0 });
  profile = mkdtempSync(path.join(tmpdir(), 'aura-playground-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
    timeout: 30_000,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // Nothing may leave this machine: only the playground and the sandbox are reachable.
  await context.route('**/*', (route) => {
    const target = new URL(route.request().url());
    if (target.hostname === '127.0.0.1') return route.continue();
    return route.abort();
  });
  await page.goto(playground.url);
  await page.waitForSelector('body[data-ready="true"]');
});

afterAll(async () => {
  await context?.close();
  await playground?.close();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
});

describe('the playground page, in Chromium', () => {
  let uploadId: string;
  let token: string;
  const big = randomBytes(3 * 1024 * 1024 + 17);
  const small = randomBytes(200 * 1024);

  it('loads everything from this machine, with no error', async () => {
    expect(await page.title()).toBe('Aura playground');
    expect(await page.evaluate(() => typeof (window as { tus?: unknown }).tus)).toBe('object');
    expect(await text('#user-status')).toBe('Not signed in.');
    expect(await page.locator('#token-button').isDisabled()).toBe(true);
    await shot('01-start');
  });

  it('signs in as a demo user', async () => {
    await page.fill('#user-name', 'dr-test');
    await page.click('#sign-in-button');

    await expect.poll(() => text('#user-status')).toBe('Signed in as dr-test.');
    expect(await page.locator('#token-button').isEnabled()).toBe(true);
  });

  it('gets an upload token: token, expiry and scopes shown', async () => {
    await page.click('#token-button');

    await page.waitForSelector('#token-details:not([hidden])');
    token = await text('#token-value');
    expect(token).toMatch(/^aubt_[0-9a-f]+$/);
    expect(await text('#token-scopes')).toBe('upload:init, upload:manage, integration:read');
    expect(await text('#token-expiry')).toMatch(/\(in 60 min\)$/);
    // The partner signed the exchange; the sandbox checked it.
    expect(playground.sandbox.requests().map((r) => `${r.method} ${r.path} ${r.status}`)).toContain(
      'POST /api/auth/exchange 200',
    );
    await shot('02-token');
  });

  it('uploads two files as the widget does, with a pause and a resume on the way', async () => {
    await page.setInputFiles('#files', [
      { name: 'scan-1.dcm', mimeType: 'application/dicom', buffer: big },
      { name: 'scan-2.dcm', mimeType: 'application/dicom', buffer: small },
    ]);
    await page.check('#slow');
    await page.click('#upload-button');

    // Pause once some chunks are in.
    await expect
      .poll(() => page.locator('#progress').evaluate((p: HTMLProgressElement) => p.value), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    await page.click('#pause-button');
    await expect
      .poll(() => page.locator('#upload-status').getAttribute('data-state'))
      .toBe('paused');
    const pausedAt = await page.locator('#progress').evaluate((p: HTMLProgressElement) => p.value);
    expect(pausedAt).toBeLessThan(100);
    uploadId = (await playground.sandbox.uploads().at(-1)?.uploadId) as string;
    const heldFile = playground.sandbox.upload(uploadId)?.files[0];
    expect(heldFile?.finished).toBe(false);
    // Paused for real: no byte moves while paused.
    const offset = heldFile?.offset;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(playground.sandbox.upload(uploadId)?.files[0]?.offset).toBe(offset);
    expect(await page.locator('#progress').evaluate((p: HTMLProgressElement) => p.value)).toBe(
      pausedAt,
    );
    await shot('03-paused');

    await page.uncheck('#slow');
    await page.click('#resume-button');
    await expect
      .poll(() => page.locator('#upload-status').getAttribute('data-state'), { timeout: 30_000 })
      .toBe('complete');
    expect(await text('#upload-status')).toBe(
      `Uploaded 2 files (${big.length + small.length} bytes); upload ${uploadId} complete.`,
    );
    expect(await page.locator('#progress').evaluate((p: HTMLProgressElement) => p.value)).toBe(100);

    // What the sandbox holds: the upload, completed, with both files received whole over tus.
    const upload = playground.sandbox.upload(uploadId)!;
    expect(upload.state).toBe('completed');
    expect(upload.source).toBe('standalone-uploader');
    expect(upload.history.map((h) => h.to)).toEqual(['initialized', 'started', 'completed']);
    expect(upload.warnings).toEqual([]);
    expect(
      upload.files.map((f) => [f.metadata.filename, f.size, f.offset, f.finished]).sort(),
    ).toEqual([
      ['scan-1.dcm', big.length, big.length, true],
      ['scan-2.dcm', small.length, small.length, true],
    ]);
    // No tus request was refused on the way, the pause included.
    expect(
      playground.sandbox
        .requests()
        .filter((r) => r.path.startsWith('/files') && r.status >= 400)
        .map((r) => `${r.method} ${r.status}`),
    ).toEqual([]);
    // The resume asked the server for its offset (HEAD) before sending the rest.
    const log = playground.sandbox
      .requests()
      .map((r) => `${r.method} ${r.path.split('/').slice(0, 2).join('/')}`);
    expect(log).toContain('HEAD /files');
    await shot('04-uploaded');
  });

  it('shows each step with its request and answer', async () => {
    const steps = await page.locator('#step-list > li').evaluateAll((items) =>
      items.map((item) => ({
        title: item.querySelector('h3')?.textContent,
        state: (item as HTMLElement).dataset.state,
        request: item.querySelector('.request')?.textContent ?? '',
        answer: item.querySelector('.answer')?.textContent ?? '',
      })),
    );
    const titles = steps.map((s) => s.title).reverse();
    expect(titles).toEqual([
      'Sign in (partner)',
      'Upload token (partner → Aura /auth/exchange)',
      'GET /uploader/config (widget → Aura)',
      'init (widget → Aura)',
      'start (widget → Aura)',
      'tus upload: scan-1.dcm',
      'pause',
      'resume',
      'tus upload: scan-2.dcm',
      'complete (widget → Aura)',
    ]);
    expect(steps.every((s) => s.state === 'ok')).toBe(true);
    const init = steps.find((s) => s.title === 'init (widget → Aura)')!;
    expect(init.request).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/api\/uploader\/upload\/init\n/);
    expect(init.request).toContain(`"upload_id": "${uploadId}"`);
    // The token is never shown whole in a step.
    expect(init.request).toMatch(/Authorization: Bearer aubt_[0-9a-f]{5}…/);
    expect(init.request).not.toContain(token);
    expect(init.answer).toMatch(/^200\n\{/);
    const config = steps.find((s) => s.title === 'GET /uploader/config (widget → Aura)')!;
    expect(config.answer).toContain(`"endpoint": "${playground.sandbox.tusUrl}"`);
  });

  it('submits and withdraws through the partner server', async () => {
    await page.click('#submit-button');
    await expect
      .poll(() => page.locator('#manage-status').getAttribute('data-state'))
      .toBe('submitted');
    await page.click('#withdraw-button');
    await expect
      .poll(() => page.locator('#manage-status').getAttribute('data-state'))
      .toBe('withdrawn');

    const upload = playground.sandbox.upload(uploadId)!;
    expect(upload.state).toBe('withdrawn');
    expect(upload.history.map((h) => h.to)).toEqual([
      'initialized',
      'started',
      'completed',
      'submitted',
      'withdrawn',
    ]);
    expect(upload.submitMetadata).toEqual({ note: 'from the playground' });
    expect(upload.withdrawReason).toBe('playground demo');
  });

  it('shows the last exchange: canonical request, string to sign, signature', async () => {
    await page.click('#exchange-button');
    await page.waitForSelector('#exchange-details:not([hidden])');

    const canonical = await page.locator('#canonical-request').textContent();
    expect(canonical).toMatch(
      /^POST\n\/api\/auth\/exchange\n\ncontent-type:application\/json\nhost:127\.0\.0\.1:\d+\nx-aura-nonce:[0-9a-f-]{36}\nx-aura-timestamp:\d+\n\ncontent-type;host;x-aura-nonce;x-aura-timestamp\n[0-9a-f]{64}$/,
    );
    expect(await page.locator('#string-to-sign').textContent()).toMatch(
      /^AURA-HMAC-SHA256\n\d+\naura_pk_sandbox\/\d{8}\/aura_request\n[0-9a-f]{64}$/,
    );
    expect(await text('#signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(await text('#exchange-line')).toMatch(
      /→ 200; the signature matches the Authorization header sent$/,
    );
    await shot('05-exchange');
  });

  it('shows the traffic: the sandbox log and the captured events, redacted', async () => {
    await page.click('#traffic-button');
    await expect
      .poll(async () => (await text('#captured tbody')).includes('/api/aura/withdraw'))
      .toBe(true);

    const log = await text('#request-log tbody');
    for (const line of [
      'POST\t/api/uploader/upload/init\t200',
      'POST\t/api/uploader/upload/start\t200',
      'POST\t/api/uploader/upload/complete\t200',
      'POST\t/api/uploader/manage/submit\t200',
      'POST\t/api/uploader/manage/withdraw\t200',
    ]) {
      expect(log).toContain(line);
    }
    const captured = await text('#captured tbody');
    expect(captured).toMatch(/POST\t\/api\/aura\/upload-token\t200\tdr-test/);
    expect(captured).toMatch(/POST\t\/api\/aura\/submit\t200\tdr-test/);

    // What reached the collector: the partner's routes, each with its user, and no token.
    const events = playground.sandbox.captured() as {
      path: string;
      status: number;
      user?: { id: string };
    }[];
    expect(events.map((e) => `${e.path} ${e.status} ${e.user?.id ?? '-'}`)).toEqual(
      expect.arrayContaining([
        '/demo/sign-in 200 -',
        '/api/aura/upload-token 200 dr-test',
        '/api/aura/submit 200 dr-test',
        '/api/aura/withdraw 200 dr-test',
      ]),
    );
    expect(JSON.stringify(events)).not.toContain(token);
    await shot('06-traffic');
  });

  it.each([
    ['429', ['429 (fault: status)', '200']],
    ['503', ['503 (fault: status)', '503 (fault: status)', '200']],
    ['drop', ['no answer (fault: drop)', '200']],
  ])('a %s fault: the partner’s client retries and gets through', async (kind, outcomes) => {
    await page.click(`[data-fault="${kind}"]`);
    // A 429's Retry-After is a second: the answer takes longer than that.
    await expect
      .poll(() => page.locator('#fault-result').getAttribute('data-kind'), { timeout: 10_000 })
      .toBe(kind);

    expect(await page.locator('#fault-result').getAttribute('data-outcome')).toBe('ok');
    const attempts = await page.locator('#fault-result li').allInnerTexts();
    const endings = attempts
      .filter((a) => !a.startsWith('POST /api/auth/exchange → 200') || kind === '429')
      .map((a) => a.replace(/^[A-Z]+ \S+ → /, ''));
    expect(endings).toEqual(outcomes);
    if (kind === 'drop') await shot('07-fault-drop');
  });

  it('the inbound signed route accepts a signed call and refuses a changed body', async () => {
    await page.click('#signed-call-button');
    await expect
      .poll(() => page.locator('#inbound-result').getAttribute('data-status'))
      .toBe('200');
    expect(await text('#inbound-result')).toContain('"from": "playground-worker"');

    await page.click('#tampered-call-button');
    await expect
      .poll(() => page.locator('#inbound-result').getAttribute('data-status'))
      .toBe('401');
    expect(await text('#inbound-result')).toContain('invalid_signature');
    await shot('08-inbound');
  });

  it('raised no error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
