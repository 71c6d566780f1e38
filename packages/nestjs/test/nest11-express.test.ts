import './support/nest11';
import { createRequire } from 'node:module';
import { runAuraConformance } from '@aura/test-kit';
import { ExpressAdapter } from '@nestjs/platform-express';
import { expect, it, vi } from 'vitest';
import { nestMount } from './support/app';

// The same app and module on Nest 11 (CommonJS): every `@nestjs/*` import of the sources and
// the tests is Nest 11, installed as the `nest11-*` aliases.
vi.mock('@nestjs/common', async () => await vi.importActual('nest11-common'));
vi.mock('@nestjs/core', async () => await vi.importActual('nest11-core'));
vi.mock('@nestjs/platform-express', async () => await vi.importActual('nest11-platform-express'));

it('runs on Nest 11, one copy of it', async () => {
  const require = createRequire(import.meta.url);
  expect(require('nest11-core/package.json').version).toMatch(/^11\./);
  const common11 = require('nest11-common');
  // What the sources import, and what Nest 11's core itself requires, is Nest 11's `common`.
  expect((await import('@nestjs/common')).Injectable).toBe(common11.Injectable);
  const fromCore = createRequire(require.resolve('nest11-core'))('@nestjs/common');
  expect(fromCore.Injectable).toBe(common11.Injectable);
  // The adapter extends the very core the app is built with.
  const core = await import('@nestjs/core');
  const base = Object.getPrototypeOf(ExpressAdapter.prototype).constructor;
  expect(base).toBe(core.AbstractHttpAdapter);
});

runAuraConformance({ name: 'nest 11 + express', mount: nestMount(() => new ExpressAdapter()) });
