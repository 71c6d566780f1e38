// One framework's servers for the per-framework bench, in their own process: one app per variant
// (bare, verify, capture, token guard, /upload-token…), each on its own 127.0.0.1 port, so the
// load generator can interleave the variants while the process, its heap and its JIT stay the
// same. Prints `{ <variant>: port }` as one JSON line once every app listens; then answers each
// line `cpu` on stdin with `{ cpu }`, this process's CPU time so far in µs (user + system), so the
// orchestrator can charge each load the server CPU it cost (see probe.mjs).
//
// Environment: BENCH_FRAMEWORK (express | fastify | koa | hono | nest-express | nest-fastify),
// BENCH_SECRETS (JSON app id → secret for the verifier), the AURA_* variables of a sandbox (the
// token guard and /upload-token exchange with it), AURA_CAPTURE_URL/KEY (the capture collector),
// and BENCH_REDIS_URL (optional: the `*-redis` variants use @aura/redis's stores).
import 'reflect-metadata';
import { AuraClient } from '@aura/core';
import { answerProbes } from '../probe.mjs';

const framework = process.env.BENCH_FRAMEWORK;
const secrets = JSON.parse(process.env.BENCH_SECRETS);
const redisUrl = process.env.BENCH_REDIS_URL;
const user = { id: 'bench-user' };
// High enough that the run measures the limiter's bookkeeping, never a 429.
const rateLimit = { max: 1_000_000_000, windowMs: 60_000 };
const ok = { ok: true };

let redis;
if (redisUrl) {
  const { createAuraRedis } = await import('@aura/redis');
  redis = createAuraRedis(redisUrl);
}

const newClient = (stores = {}) => AuraClient.fromEnv(process.env, stores);
const captureOptions = (bodies) => ({ bodies, maxBodyBytes: 16 * 1024 });

/** Variant name → how the app differs from bare. */
function variants() {
  const list = {
    bare: {},
    verify: { verify: {} },
    capture: { capture: captureOptions(false) },
    capture_bodies: { capture: captureOptions(true) },
    token: { token: true },
    upload: { upload: {} },
  };
  if (redis) {
    list.verify_redis = { verify: { nonceStore: redis.nonceStore } };
    list.upload_redis = { upload: { store: redis.rateLimitStore } };
  }
  return list;
}

// --- Express 5 -----------------------------------------------------------------------------
async function express(v) {
  const { default: Express } = await import('express');
  const aura = await import('@aura/express');
  const app = Express();
  if (v.capture) app.use(aura.auraCapture(v.capture));
  const client = newClient();
  if (v.upload) {
    app.use(
      '/api/aura',
      aura.auraRouter({
        client,
        authorize: () => user,
        rateLimit: { ...rateLimit, ...(v.upload.store ? { store: v.upload.store } : {}) },
      }),
    );
  }
  if (v.verify) {
    app.post('/hook', aura.verifyAuraSignature({ secrets, ...v.verify }), (_req, res) => {
      res.json(ok);
    });
  } else {
    app.post('/hook', Express.json({ limit: '1mb' }), (_req, res) => {
      res.json(ok);
    });
  }
  // GET /guarded: behind the token guard in the token variant, plain elsewhere (its bare pair).
  if (v.token) {
    app.use(aura.auraMiddleware({ client }));
    app.get('/guarded', aura.requireAuraToken(), (_req, res) => res.json(ok));
  } else {
    app.get('/guarded', (_req, res) => res.json(ok));
  }
  return listenNode(app);
}

// --- Fastify ---------------------------------------------------------------------------------
async function fastify(v) {
  const { default: Fastify } = await import('fastify');
  const aura = await import('@aura/fastify');
  const app = Fastify({ bodyLimit: 1024 * 1024 });
  const client = newClient();
  if (v.capture) await app.register(aura.auraCapture(v.capture));
  // The plugin first: it keeps the raw bytes the verifier checks, and gives the guard its client.
  if (v.verify || v.token) await app.register(aura.auraPlugin, { client });
  if (v.upload) {
    await app.register(aura.auraRoutes, {
      prefix: '/api/aura',
      client,
      authorize: () => user,
      rateLimit: { ...rateLimit, ...(v.upload.store ? { store: v.upload.store } : {}) },
    });
  }
  if (v.verify) {
    app.post('/hook', { preHandler: aura.verifyAuraSignature({ secrets, ...v.verify }) }, () => ok);
  } else {
    app.post('/hook', () => ok);
  }
  if (v.token) {
    app.get('/guarded', { preHandler: aura.requireAuraToken() }, () => ok);
  } else {
    app.get('/guarded', () => ok);
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server.address().port;
}

// --- Koa 3 -----------------------------------------------------------------------------------
async function koa(v) {
  const { default: Koa } = await import('koa');
  const aura = await import('@aura/koa');
  const app = new Koa();
  const client = newClient();
  if (v.capture) app.use(aura.auraCapture(v.capture));
  if (v.upload) {
    app.use(
      aura.auraRouter({
        prefix: '/api/aura',
        client,
        authorize: () => user,
        rateLimit: { ...rateLimit, ...(v.upload.store ? { store: v.upload.store } : {}) },
      }),
    );
  }
  if (v.token) app.use(aura.auraMiddleware({ client }));
  const verify = v.verify ? aura.verifyAuraSignature({ secrets, ...v.verify }) : undefined;
  const guard = v.token ? aura.requireAuraToken() : undefined;
  app.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === '/hook') {
      // Bare reads and parses the body as a body parser would; the verifier does it itself.
      if (verify) return verify(ctx, () => respond(ctx));
      ctx.request.body = JSON.parse((await readAll(ctx.req)).toString('utf8'));
      return respond(ctx);
    }
    if (ctx.method === 'GET' && ctx.path === '/guarded') {
      return guard ? guard(ctx, () => respond(ctx)) : respond(ctx);
    }
    return next();
  });
  return listenNode(app.callback());
}

function respond(ctx) {
  ctx.body = ok;
}

function readAll(stream) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

// --- Hono on @hono/node-server ----------------------------------------------------------------
async function hono(v) {
  const { Hono } = await import('hono');
  const { serve } = await import('@hono/node-server');
  const aura = await import('@aura/hono');
  const app = new Hono();
  const client = newClient();
  if (v.capture) app.use('*', aura.auraCapture(v.capture));
  if (v.upload) {
    app.route(
      '/api/aura',
      aura.auraRoutes({
        client,
        authorize: () => user,
        rateLimit: { ...rateLimit, ...(v.upload.store ? { store: v.upload.store } : {}) },
      }),
    );
  }
  if (v.verify) {
    app.post('/hook', aura.verifyAuraSignature({ secrets, ...v.verify }), (c) => c.json(ok));
  } else {
    app.post('/hook', async (c) => {
      await c.req.json();
      return c.json(ok);
    });
  }
  if (v.token) {
    app.use('*', aura.auraMiddleware({ client }));
    app.get('/guarded', aura.requireAuraToken(), (c) => c.json(ok));
  } else {
    app.get('/guarded', (c) => c.json(ok));
  }
  return new Promise((resolve) => {
    serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
  });
}

// --- NestJS 12 on Express or Fastify (decorators applied as functions: plain ESM here) ----------
async function nest(v, platform) {
  const common = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const aura = await import('@aura/nestjs');
  const client = newClient();

  class HookController {
    hook() {
      return ok;
    }
    guarded() {
      return ok;
    }
  }
  const method = (name, decorators) => {
    const proto = HookController.prototype;
    const descriptor = Reflect.decorate(
      decorators,
      proto,
      name,
      Object.getOwnPropertyDescriptor(proto, name),
    );
    Object.defineProperty(proto, name, descriptor);
  };
  const hookDecorators = [common.Post('hook'), common.HttpCode(200)];
  if (v.verify) hookDecorators.push(aura.AuraSigned({ secrets, ...v.verify }));
  method('hook', hookDecorators);
  method(
    'guarded',
    v.token ? [common.Get('guarded'), aura.RequireAuraToken()] : [common.Get('guarded')],
  );
  Reflect.decorate([common.Controller()], HookController);

  const imports = [];
  if (v.token || v.upload) {
    imports.push(
      aura.AuraModule.forRoot({
        isGlobal: true,
        client,
        ...(v.upload
          ? {
              routes: {
                prefix: 'api/aura',
                authorize: () => user,
                rateLimit: { ...rateLimit, ...(v.upload.store ? { store: v.upload.store } : {}) },
              },
            }
          : {}),
      }),
    );
  }
  if (v.capture) imports.push(aura.AuraCaptureModule.forRoot(v.capture));
  class AppModule {}
  Reflect.decorate([common.Module({ imports, controllers: [HookController] })], AppModule);

  let app;
  if (platform === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    app = await NestFactory.create(AppModule, new FastifyAdapter({ bodyLimit: 1024 * 1024 }), {
      rawBody: true,
      logger: false,
    });
  } else {
    app = await NestFactory.create(AppModule, { rawBody: true, logger: false });
  }
  await app.listen(0, '127.0.0.1');
  return app.getHttpServer().address().port;
}

async function listenNode(handler) {
  const { createServer } = await import('node:http');
  const server = createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

const builders = {
  express,
  fastify,
  koa,
  hono,
  'nest-express': (v) => nest(v, 'express'),
  'nest-fastify': (v) => nest(v, 'fastify'),
};
const build = builders[framework];
if (!build) throw new Error(`unknown BENCH_FRAMEWORK ${framework}`);

const ports = {};
for (const [name, v] of Object.entries(variants())) ports[name] = await build(v);
process.stdout.write(`${JSON.stringify(ports)}\n`);
answerProbes();
process.on('SIGTERM', () => process.exit(0));
