// Two node:http servers on 127.0.0.1: one reads the body and answers 200 ("bare"), the other
// reads the body, verifies it with the default nonce store, and answers 200 or the failure.
import { createServer } from 'node:http';
import { verifyRequest } from '@aura/core';

const secrets = JSON.parse(process.env.AURA_BENCH_SECRETS);

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const bare = createServer(async (req, res) => {
  await readBody(req);
  res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
});
const verified = createServer(async (req, res) => {
  const body = await readBody(req);
  const result = await verifyRequest(
    { method: req.method, url: req.url, headers: req.headersDistinct, body },
    { secrets },
  );
  if (result.ok) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  else res.writeHead(result.status, { 'content-type': 'text/plain' }).end(result.code);
});
const listen = (server) =>
  new Promise((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)));
const ports = { bare: await listen(bare), verified: await listen(verified) };
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.on('SIGTERM', () => process.exit(0));
