import { fileURLToPath } from 'node:url';
import { runCaptureConformance } from '@aura/test-kit';
import { captureMount, fastifyCaptureMount } from './capture.mount';

const module = fileURLToPath(new URL('./capture.mount.ts', import.meta.url));

runCaptureConformance({
  name: 'nest 12 + express',
  mount: captureMount,
  memory: { module, contentType: 'application/octet-stream' },
});
runCaptureConformance({
  name: 'nest 12 + fastify',
  mount: fastifyCaptureMount,
  memory: { module, mount: 'fastifyCaptureMount', contentType: 'application/octet-stream' },
});
