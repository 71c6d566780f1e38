import { fileURLToPath } from 'node:url';
import { runCaptureConformance } from '@aura/test-kit';
import { captureMount } from './capture.mount';
import { fastifyCaptureMount } from './capture-fastify.mount';

runCaptureConformance({
  name: 'nest 12 + express',
  mount: captureMount,
  memory: {
    module: fileURLToPath(new URL('./capture.mount.ts', import.meta.url)),
    contentType: 'application/octet-stream',
  },
});
runCaptureConformance({
  name: 'nest 12 + fastify',
  mount: fastifyCaptureMount,
  memory: {
    module: fileURLToPath(new URL('./capture-fastify.mount.ts', import.meta.url)),
    mount: 'fastifyCaptureMount',
    contentType: 'application/octet-stream',
  },
});
