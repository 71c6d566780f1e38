import { fileURLToPath } from 'node:url';
import { runCaptureConformance } from '@aura/test-kit';
import { captureMount } from './capture.mount';

runCaptureConformance({
  name: 'koa 3',
  mount: captureMount,
  memory: { module: fileURLToPath(new URL('./capture.mount.ts', import.meta.url)) },
});
