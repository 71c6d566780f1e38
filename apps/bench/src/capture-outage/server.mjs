// An Express 5 app with auraCapture (metadata) reporting to AURA_CAPTURE_URL, which the
// orchestrator points at a live collector or at a port where nothing listens. GET /_mem answers
// this process's memory and the capture's counters (not captured: it is read after the load).
import { auraCapture } from '@aura/express';
import express from 'express';

const capture = auraCapture({ bodies: false });
const app = express();
app.get('/_mem', (_req, res) => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  res.json({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, stats: capture.stats() });
});
app.use(capture);
app.post('/hook', express.json(), (_req, res) => res.json({ ok: true }));
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
