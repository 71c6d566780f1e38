import { runAuraConformance } from '@aura/test-kit';
import { mount } from './support/app';
import { runExpressIdioms } from './support/idioms';

runAuraConformance({ name: 'express 5', mount });
runExpressIdioms(5);
