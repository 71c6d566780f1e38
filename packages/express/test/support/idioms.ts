/**
 * Express idioms, run on Express 4 and 5: routers under prefixes, the captureRawBody path, and
 * errors from async work reaching next().
 */
import { randomUUID } from 'node:crypto';
import { AuraClient, isAuraError, MemoryNonceStore } from '@aura/core';
import { type Sandbox, startSandbox } from '@aura/sandbox';
import { call, INBOUND_APPS, signedCall } from '@aura/test-kit';
import express, { type ErrorRequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auraErrorHandler,
  auraMiddleware,
  auraRouter,
  captureRawBody,
  requireAuraToken,
  verifyAuraSignature,
} from '../../src/index';
import { expressMajor, listen } from './app';

export function runExpressIdioms(major: 4 | 5): void {
  describe(`Express ${major} idioms`, () => {
    let sandbox: Sandbox;
    const closers: Array<() => Promise<void>> = [];
    const secrets = { [INBOUND_APPS.partner.appId]: INBOUND_APPS.partner.appSecret };
    const clientOptions = () => ({
      baseUrl: sandbox.apiUrl,
      ...sandbox.credentials,
      retry: { attempts: 1 },
    });
    const start = async (app: express.Express) => {
      const mounted = await listen(app);
      closers.push(mounted.close);
      return mounted.url;
    };
    /** The app's own last error handler: what reaches it is what Aura's handler passed on. */
    const appErrors: ErrorRequestHandler = (error, _req, res, _next) => {
      res.status(599).json({ reached: 'app', message: (error as Error).message });
    };

    beforeAll(async () => {
      sandbox = await startSandbox();
    });
    afterAll(async () => {
      await Promise.all(closers.map((close) => close()));
      await sandbox.close();
    });

    it(`runs on Express ${major}`, () => {
      expect(expressMajor()).toBe(major);
    });

    it('serves the routes from a router nested under prefixes', async () => {
      const app = express();
      app.use(auraMiddleware({ client: clientOptions() }));
      const v1 = express.Router();
      v1.use('/aura', auraRouter({ authorize: () => ({ id: 'u1' }) }));
      app.use('/v1', v1);
      const url = await start(app);
      const answer = await call(`${url}/v1/aura/upload-token`, { method: 'POST' });
      expect(answer.status, answer.text).toBe(200);
      expect(Object.keys(answer.body as object).sort()).toEqual(['expires_at', 'scopes', 'token']);
      expect((await call(`${url}/aura/upload-token`, { method: 'POST' })).status).toBe(404);
    });

    it('verifies a call routed through a prefixed router against the full path signed', async () => {
      const app = express();
      const partners = express.Router();
      partners.post(
        '/hook',
        verifyAuraSignature({ secrets, nonceStore: new MemoryNonceStore() }),
        (req, res) => {
          res.json({ from: req.auraCaller?.appId, got: req.body });
        },
      );
      app.use('/partners', partners);
      const url = await start(app);
      const answer = await signedCall(url, {
        path: '/partners/hook?x=1',
        body: '{"a":1}',
        credentials: INBOUND_APPS.partner,
      });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body).toEqual({ from: INBOUND_APPS.partner.appId, got: { a: 1 } });
      // Signed for the router-relative path only: refused.
      const relative = await signedCall(url, {
        path: '/hook?x=1',
        sendTo: '/partners/hook?x=1',
        body: '{"a":1}',
        credentials: INBOUND_APPS.partner,
      });
      expect(relative.status).toBe(401);
    });

    it('uses the bytes captureRawBody kept when a global express.json() ran first', async () => {
      const app = express();
      app.use(express.json({ verify: captureRawBody }));
      app.post(
        '/hooks/aura',
        verifyAuraSignature({ secrets, nonceStore: new MemoryNonceStore() }),
        (req, res) => {
          res.json({ from: req.auraCaller?.appId, got: req.body });
        },
      );
      app.post('/echo', (req, res) => {
        res.json({ echoed: req.body });
      });
      const url = await start(app);
      const spaced = '{ "a" :  1,\n "b": [ 1, 2 ] }';
      const answer = await signedCall(url, {
        path: '/hooks/aura',
        body: spaced,
        credentials: INBOUND_APPS.partner,
      });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body).toEqual({ from: INBOUND_APPS.partner.appId, got: { a: 1, b: [1, 2] } });
      const tampered = await signedCall(url, {
        path: '/hooks/aura',
        body: spaced,
        credentials: INBOUND_APPS.partner,
        // Still valid JSON, so the app's parser passes it on: "a": 1 becomes "a": 2.
        tamper: (bytes) => {
          bytes[bytes.indexOf(0x31)] = 0x32;
          return bytes;
        },
      });
      expect(tampered.status).toBe(401);
      // Every other route keeps the app's own parser.
      const echo = await call(`${url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"x":true}',
      });
      expect(echo.body).toEqual({ echoed: { x: true } });
    });

    it('routes use a body the app already parsed', async () => {
      const app = express();
      app.use(express.json());
      app.use(auraMiddleware({ client: clientOptions() }));
      app.use('/api/aura', auraRouter({ authorize: () => ({ id: 'u2' }) }));
      const url = await start(app);
      const answer = await call(`${url}/api/aura/submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"reason":"no id"}',
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        error: { code: 'invalid_request', message: expect.stringContaining('upload_id') },
      });
    });

    it('passes errors of async work to next(): a throwing authorize reaches the app handler', async () => {
      const app = express();
      app.use(auraMiddleware({ client: clientOptions() }));
      app.use(
        '/api/aura',
        auraRouter({
          authorize: async () => {
            throw new Error('session store down');
          },
        }),
      );
      app.use(auraErrorHandler());
      app.use(appErrors);
      const url = await start(app);
      const answer = await call(`${url}/api/aura/upload-token`, { method: 'POST' });
      expect(answer.status).toBe(599);
      expect(answer.body).toEqual({ reached: 'app', message: 'session store down' });
    });

    it("auraErrorHandler answers Aura's errors and passes others on", async () => {
      const app = express();
      app.use(auraMiddleware({ client: clientOptions() }));
      app.post('/submit', (req, _res, next) => {
        req.aura.submit({ uploadId: randomUUID() }).catch(next);
      });
      app.get('/boom', () => {
        throw new Error('plain');
      });
      app.use(auraErrorHandler());
      app.use(appErrors);
      const url = await start(app);
      const submit = await call(`${url}/submit`, { method: 'POST' });
      expect(submit.status).toBe(404);
      expect(submit.body).toMatchObject({ error: { code: 'upload_not_found' } });
      const boom = await call(`${url}/boom`);
      expect(boom.body).toEqual({ reached: 'app', message: 'plain' });
    });

    it('requireAuraToken answers Aura being down itself, and needs a client', async () => {
      sandbox.fault({ path: '/api/auth/exchange', status: 503, times: 1 });
      const app = express();
      app.use(auraMiddleware({ client: clientOptions() }));
      app.get('/config', requireAuraToken(), (_req, res) => {
        res.json({ ok: true });
      });
      app.get(
        '/bare',
        requireAuraToken({ client: new AuraClient(clientOptions()) }),
        (_req, res) => {
          res.json({ ok: true });
        },
      );
      const url = await start(app);
      const down = await call(`${url}/config`);
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ error: { code: 'aura_unavailable' } });
      expect((await call(`${url}/config`)).status).toBe(200);
      expect((await call(`${url}/bare`)).status).toBe(200);

      const unmounted = express();
      unmounted.get('/config', requireAuraToken(), (_req, res) => {
        res.json({ ok: true });
      });
      const bare = await call(`${await start(unmounted)}/config`);
      expect(bare.body).toMatchObject({ error: { code: 'aura_not_configured' } });
    });

    it('refuses bad options when the app is assembled', () => {
      let error: unknown;
      try {
        verifyAuraSignature({ secrets: {} });
      } catch (caught) {
        error = caught;
      }
      expect(isAuraError(error, 'configuration')).toBe(true);
      expect(() => auraRouter({ client: clientOptions() })).toThrow(/authorize is required/);
    });
  });
}
