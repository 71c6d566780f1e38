/**
 * The capture suite's app on Express (the contract in @aura/test-kit's capture-mount.ts):
 * `auraCapture()` first, then the routes. Also bundled into the memory scenario's child
 * process, so it imports from @aura/test-kit only the mount contract.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CAPTURE_PATHS, type CaptureMount, ECHO_COOKIE, STREAM_CHUNKS } from '@aura/test-kit';
import express from 'express';
import { auraCapture, verifyAuraSignature } from '../src/index';

export const captureMount: CaptureMount = async (setup) => {
  const capture = auraCapture(setup.capture);
  const app = express();
  app.use(capture);

  const v1 = express.Router();
  v1.get('/things/:thingId', (req, res) => {
    res.json({ thingId: req.params.thingId });
  });
  app.use('/v1', v1);
  app.post(CAPTURE_PATHS.echo, express.json(), (req, res) => {
    res.setHeader('set-cookie', ECHO_COOKIE);
    res.json(req.body);
  });
  app.get(CAPTURE_PATHS.stream, (_req, res) => {
    res.type('text/plain');
    let at = 0;
    const next = () => {
      if (at === STREAM_CHUNKS.length) return res.end();
      res.write(STREAM_CHUNKS[at++]);
      setTimeout(next, 5);
    };
    next();
  });
  app.post(CAPTURE_PATHS.upload, (req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => res.json({ bytes }));
  });
  app.post(CAPTURE_PATHS.hook, verifyAuraSignature(setup.verify), (req, res) => {
    res.json({ from: req.auraCaller?.appId, got: req.body });
  });

  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    capture,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};
