import './support/nest11';
import { runCaptureConformance } from '@aura/test-kit';
import { vi } from 'vitest';
import { captureMount } from './capture.mount';

// The same capture app and module on Nest 11 (CommonJS, Express 5), as nest11-express.test.ts.
vi.mock('@nestjs/common', async () => await vi.importActual('nest11-common'));
vi.mock('@nestjs/core', async () => await vi.importActual('nest11-core'));
vi.mock('@nestjs/platform-express', async () => await vi.importActual('nest11-platform-express'));

runCaptureConformance({
  name: 'nest 11 + express',
  mount: captureMount,
  skip: { memory: 'run on Nest 12 in capture.test.ts; the child process cannot take vi.mock' },
});
