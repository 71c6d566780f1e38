import { runAuraConformance } from '@aura/test-kit';
import { vi } from 'vitest';
import { mount } from './support/app';
import { runExpressIdioms } from './support/idioms';

// The same app and adapter on Express 4: every `express` import, the adapter's included, is
// Express 4.21+ (installed as the `express4` alias).
vi.mock('express', async () => await vi.importActual('express4'));

runAuraConformance({ name: 'express 4', mount });
runExpressIdioms(4);
