// One replay history per process (issue 8 item 2): the ESM, CommonJS and edge (WebCrypto)
// builds loaded side by side in one process share the default nonce store, so a request
// accepted through one copy is refused as a replay through each of the others.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const copies = {
  esm: await import('@aura/core'),
  cjs: require('@aura/core'),
  web: await import(new URL('../dist/web/index.js', import.meta.url).href),
};
if (copies.esm.verifyRequest === copies.cjs.verifyRequest)
  throw new Error('one copy loaded, not two');
if (copies.web.cryptoBackend.name !== 'webcrypto') throw new Error('the web build was not loaded');

const credentials = { appId: 'smoke-app', appSecret: 'smoke-secret' };
const secrets = { 'smoke-app': 'smoke-secret' };

for (const first of Object.keys(copies)) {
  const signed = await copies[first].signRequest(credentials, {
    method: 'POST',
    url: '/api/orders',
    headers: { Host: 'svc.example' },
    body: '{"n":1}',
  });
  const request = { method: 'POST', url: signed.url, headers: signed.headers, body: signed.body };
  const accepted = await copies[first].verifyRequest(request, { secrets });
  if (!accepted.ok) throw new Error(`${first}: a genuine request was refused: ${accepted.code}`);
  for (const other of Object.keys(copies)) {
    if (other === first) continue;
    const again = await copies[other].verifyRequest(request, { secrets });
    if (again.ok || again.code !== 'replayed_nonce') {
      throw new Error(
        `accepted through ${first}, then ${again.ok ? 'accepted again' : `refused with ${again.code}`} through ${other}: expected replayed_nonce`,
      );
    }
  }
  console.log(`ok replay: accepted through ${first}, refused as a replay through the others`);
}
