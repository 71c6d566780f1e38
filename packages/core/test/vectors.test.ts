import { describe, expect, it } from 'vitest';
import { explainSignatureWith, type SignableRequest, signRequestWith } from '../src/signing/sign';
import { backends } from './backends';
import publicVectors from './fixtures/public-vectors.json';

interface PublicVector {
  name: string;
  credentials: { appId: string; appSecret: string };
  request: SignableRequest & { headers?: Record<string, string> };
  timestamp: string;
  nonce: string;
  expected: {
    authorization: string;
    addedContentType: boolean;
    host?: string;
    canonicalRequest: string;
    stringToSign: string;
  };
}

const vectors = publicVectors as PublicVector[];

// docs/PROTOCOL.md's table, with the intermediate values it gives for vector 1.
const protocolVectors = [
  {
    name: 'protocol-1 token exchange',
    credentials: { appId: 'test-app-id', appSecret: 'test-secret-key' },
    request: {
      method: 'POST',
      url: '/api/auth/exchange',
      headers: { Host: 'aura.example.com', 'Content-Type': 'application/json' },
      body: '{"ttl":3600,"scopes":["upload:init","upload:manage"]}',
    },
    timestamp: 1706140800,
    nonce: '550e8400-e29b-41d4-a716-446655440000',
    signature: '4e865169c280c238e93ea51681fdf9e5977ecbf0dc60fbbf0b6b7ccba2005093',
    payloadHash: '5335037164580247d5b44ecd0bafecaed26775a65e61c2fb867f39f97cbdd303',
    canonicalRequestHash: '6cd44500176c5adf24ea7cbdd13d9a8233c99ff1560a94328d6fbbeed8671abd',
  },
  {
    name: 'protocol-2 config, no body',
    credentials: { appId: 'test-app-id', appSecret: 'test-secret-key' },
    request: { method: 'GET', url: '/api/uploader/config', headers: { Host: 'aura.example.com' } },
    timestamp: 1706140800,
    nonce: 'a1b2c3d4-e5f6-4a5b-8c7d-9e0f1a2b3c4d',
    signature: 'cb5f7babcb41cd89292f211ccf88e31cd40057a21dd0dacfbbc543f6a9916723',
  },
  {
    name: 'protocol-3 query sorted',
    credentials: { appId: 'test-app-id', appSecret: 'test-secret-key' },
    request: {
      method: 'POST',
      url: '/api/uploader/upload/init?source=test&mode=bulk',
      headers: { Host: 'aura.example.com', 'Content-Type': 'application/json' },
      body: '{"upload_id":"abc-123"}',
    },
    timestamp: 1706140800,
    nonce: '11111111-2222-3333-4444-555555555555',
    signature: '40c4e0de706037bce5cf4236b2ca7ee916445744654f320f5b3bb4df7444de61',
    canonicalQuery: 'mode=bulk&source=test',
  },
  {
    name: 'protocol-4 base URL and API key',
    credentials: { appId: 'aura_pk_testapp123', appSecret: 'aura_sk_supersecretkey456' },
    request: {
      method: 'POST',
      baseUrl: 'https://aura.example.com/api',
      url: '/auth/exchange',
      headers: {
        Host: 'aura.example.com',
        'Content-Type': 'application/json',
        'X-Api-Key': 'aura_au_myservice_abc123',
      },
      body: '{"ttl":3600,"scopes":["upload:init","upload:manage","integration:read"]}',
    },
    timestamp: 1706184000,
    nonce: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
    signature: 'a1ce57d8b3c240fbfdfdd704cdba0ce38563f76f3d291cca6580089b8a7462c5',
  },
];

describe.each(backends)('docs/PROTOCOL.md vectors with %s', (_, backend) => {
  it.each(protocolVectors)('$name', async (v) => {
    const options = { timestamp: v.timestamp, nonce: v.nonce };
    const explained = await explainSignatureWith(backend, v.credentials, v.request, options);
    expect(explained.signature).toBe(v.signature);
    if (v.payloadHash) expect(explained.payloadHash).toBe(v.payloadHash);
    if (v.canonicalRequestHash) {
      expect(await backend.sha256Hex(explained.canonicalRequest)).toBe(v.canonicalRequestHash);
      expect(explained.stringToSign.split('\n')[3]).toBe(v.canonicalRequestHash);
    }
    if (v.canonicalQuery) expect(explained.canonicalRequest.split('\n')[2]).toBe(v.canonicalQuery);
    const signed = await signRequestWith(backend, v.credentials, v.request, options);
    expect(signed.headers.Authorization).toBe(
      `AURA-HMAC-SHA256 Credential=${v.credentials.appId},SignedHeaders=${explained.signedHeaders},Signature=${v.signature}`,
    );
    expect(signed.headers['X-Aura-Timestamp']).toBe(String(v.timestamp));
    expect(signed.headers['X-Aura-Nonce']).toBe(v.nonce);
  });
});

describe.each(backends)('public vectors with %s', (_, backend) => {
  it('has all 44 cases', () => {
    expect(vectors).toHaveLength(44);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    const options = { timestamp: v.timestamp, nonce: v.nonce };
    const explained = await explainSignatureWith(backend, v.credentials, v.request, options);
    expect(explained.canonicalRequest).toBe(v.expected.canonicalRequest);
    expect(explained.stringToSign).toBe(v.expected.stringToSign);

    const signed = await signRequestWith(backend, v.credentials, v.request, options);
    expect(signed.headers.Authorization).toBe(v.expected.authorization);
    expect(
      signed.headers['Content-Type'] === 'application/json' && !hasContentType(v.request.headers),
    ).toBe(v.expected.addedContentType);
    if (v.expected.host !== undefined) expect(signed.headers.Host).toBe(v.expected.host);
  });
});

function hasContentType(headers: Record<string, string> | undefined): boolean {
  return Object.keys(headers ?? {}).some((name) => name.toLowerCase() === 'content-type');
}
