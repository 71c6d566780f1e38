import { runCaptureConformance } from '@aura/test-kit';
import { vi } from 'vitest';
import { captureMount } from './capture.mount';

// The same capture app on Express 4: every `express` import, the adapter's included, is
// Express 4.21+ (the `express4` alias). The memory scenario runs on Express 5 (capture.test.ts):
// its child process loads `express` as installed.
vi.mock('express', async () => await vi.importActual('express4'));

runCaptureConformance({
  name: 'express 4',
  mount: captureMount,
  skip: { memory: 'run on Express 5 in capture.test.ts; the child process cannot take vi.mock' },
});
