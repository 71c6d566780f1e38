import { runAuraConformance } from '@aura/test-kit';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { nestMount } from './support/app';

runAuraConformance({ name: 'nest 12 + fastify', mount: nestMount(() => new FastifyAdapter()) });
