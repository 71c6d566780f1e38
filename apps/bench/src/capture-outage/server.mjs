// An Express 5 app with auraCapture (metadata) reporting to AURA_CAPTURE_URL, which the
// orchestrator points at a live collector or at a port where nothing listens. Prints `{ port }`
// once it listens; then answers probes on stdin (../probe.mjs): `cpu`, and `mem`, this
// process's memory (peak resident set from getrusage, so no sampling is needed during the load)
// and the capture's counters, the heap read after a collection. Nothing is served but the measured route: a memory route would
// itself be load, and forcing a collection while the load runs would add pauses to its p99.
import { auraCapture } from '@aura/express';
import express from 'express';
import { answerProbes } from '../probe.mjs';

const capture = auraCapture({ bodies: false });
const app = express();
app.use(capture);
app.post('/hook', express.json(), (_req, res) => res.json({ ok: true }));
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  answerProbes({
    mem: () => {
      globalThis.gc?.(); // asked before and after the load, never during it
      const m = process.memoryUsage();
      return {
        rss: m.rss,
        maxRss: process.resourceUsage().maxRSS * 1024,
        heapUsed: m.heapUsed,
        external: m.external,
        stats: capture.stats(),
      };
    },
  });
});
process.on('SIGTERM', () => process.exit(0));
