// The capture suite's Nest app on Fastify (see capture.mount.ts); a module of its own so that
// the Express mount loads no Fastify (Nest 11 runs it with Nest 11's packages only).
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { nestCaptureMount } from './capture.mount';

export const fastifyCaptureMount = nestCaptureMount(() => new FastifyAdapter());
