// Shared by the CJS and ESM smoke checks: docs/PROTOCOL.md vector 1 through the built package.
const VECTOR_1 = '4e865169c280c238e93ea51681fdf9e5977ecbf0dc60fbbf0b6b7ccba2005093';

async function check(core, label, expectedBackend) {
  const credentials = { appId: 'test-app-id', appSecret: 'test-secret-key' };
  const request = {
    method: 'POST',
    url: '/api/auth/exchange',
    headers: { Host: 'aura.example.com', 'Content-Type': 'application/json' },
    body: '{"ttl":3600,"scopes":["upload:init","upload:manage"]}',
  };
  const options = { timestamp: 1706140800, nonce: '550e8400-e29b-41d4-a716-446655440000' };
  const explained = await core.explainSignature(credentials, request, options);
  if (explained.signature !== VECTOR_1) throw new Error(`${label}: vector 1 signature differs`);
  const signed = await core.signRequest(credentials, request, options);
  const result = await core.verifyRequest(
    { method: signed.method, url: signed.url, headers: signed.headers, body: signed.body },
    { secrets: { 'test-app-id': 'test-secret-key' }, now: () => 1706140800_000 },
  );
  if (!result.ok) throw new Error(`${label}: verify refused: ${result.code}`);
  if (core.cryptoBackend.name !== expectedBackend) {
    throw new Error(
      `${label}: expected the ${expectedBackend} backend, got ${core.cryptoBackend.name}`,
    );
  }
  let caught;
  try {
    await core.signRequest(credentials, { method: 'GET', url: '/%zz', headers: { Host: 'h' } });
  } catch (error) {
    caught = error;
  }
  if (!core.isAuraError(caught, 'invalid_path')) throw new Error(`${label}: isAuraError failed`);
  // A bundler may rename a class that refers to itself (`_AuraClient`); users see `.name` and
  // stack frames, so the built classes keep their source names.
  for (const name of ['AuraClient', 'AuraError', 'AuraApiError', 'MemoryNonceStore']) {
    if (core[name].name !== name) {
      throw new Error(`${label}: ${name}.name is ${JSON.stringify(core[name].name)}`);
    }
  }
  const client = new core.AuraClient({
    baseUrl: 'https://aura.example.com',
    appId: 'a',
    appSecret: 's',
    apiKey: 'k',
  });
  const refused = await client.request('NOT A METHOD', '/x').catch((error) => error);
  if (!/at AuraClient\.request/.test(refused.stack) || /_AuraClient/.test(refused.stack)) {
    throw new Error(`${label}: stack frames do not read AuraClient.request:\n${refused.stack}`);
  }
  console.log(`ok ${label} (${core.cryptoBackend.name})`);
}

module.exports = { check };
