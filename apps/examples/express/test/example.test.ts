// Boots the example with its one command (`node start.js`: a sandbox on a free port, then the
// server) and drives it as a browser and a partner service would; then stops it with SIGTERM.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeExample } from '../../test-support/example-suite';

describeExample({
  name: 'express',
  title: 'Express',
  dir: path.join(path.dirname(fileURLToPath(import.meta.url)), '..'),
});
