import { runAuraConformance } from '@aura/test-kit';
import { ExpressAdapter } from '@nestjs/platform-express';
import { nestMount } from './support/app';

runAuraConformance({ name: 'nest 12 + express', mount: nestMount(() => new ExpressAdapter()) });
