// The floors: the least a node:crypto signer and verifier of the same protocol must do.
// One-shot `crypto.hash` over precomputed HMAC pads (no createHmac), `randomUUID` for the nonce,
// the canonical request and string to sign built with one template each, nothing checked that
// the caller could get wrong. Checked against @aura/core's signatures before any measurement.

import { hash, randomUUID } from 'node:crypto';

const BLOCK = 64;

function hmacBuffer(key, data) {
  const k = key.length > BLOCK ? hash('sha256', key, 'buffer') : key;
  const inner = Buffer.alloc(BLOCK + Buffer.byteLength(data), 0x36);
  const outer = Buffer.alloc(BLOCK + 32, 0x5c);
  for (let i = 0; i < k.length; i++) {
    inner[i] ^= k[i];
    outer[i] ^= k[i];
  }
  inner.write(data, BLOCK);
  hash('sha256', inner, 'buffer').copy(outer, BLOCK);
  return hash('sha256', outer, 'buffer');
}

function utcDate(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 10).replaceAll('-', '');
}

/** The signing key of (secret, date) as two pads, derived once per day. */
function padsFor(secret) {
  let day = -1;
  let pads;
  return (seconds) => {
    const d = Math.floor(seconds / 86400);
    if (d !== day) {
      day = d;
      const date = utcDate(seconds);
      const key = hmacBuffer(hmacBuffer(Buffer.from(`AURA${secret}`), date), 'aura_request');
      const inner = Buffer.alloc(BLOCK, 0x36);
      const outer = Buffer.alloc(BLOCK + 32, 0x5c);
      for (let i = 0; i < key.length; i++) {
        inner[i] ^= key[i];
        outer[i] ^= key[i];
      }
      pads = { date, inner, outer, scratch: Buffer.allocUnsafe(4096) };
    }
    return pads;
  };
}

function hmacHex(pads, data) {
  pads.inner.copy(pads.scratch, 0);
  const written = pads.scratch.write(data, BLOCK);
  hash('sha256', pads.scratch.subarray(0, BLOCK + written), 'buffer').copy(pads.outer, BLOCK);
  return hash('sha256', pads.outer, 'hex');
}

/**
 * A signer of POST requests with a JSON body: `sign({ host, path, body }, fixed?)`, answering
 * what @aura/core's signRequest answers (url, method, headers, body).
 */
export function padFloorSigner({ appId, appSecret }) {
  const pads = padsFor(appSecret);
  return (request, fixed) => {
    const seconds = fixed?.timestamp ?? Math.floor(Date.now() / 1000);
    const p = pads(seconds);
    const timestamp = String(seconds);
    const nonce = fixed?.nonce ?? randomUUID();
    const canonical = `POST\n${request.path}\n\ncontent-type:application/json\nhost:${request.host}\nx-aura-nonce:${nonce}\nx-aura-timestamp:${timestamp}\n\ncontent-type;host;x-aura-nonce;x-aura-timestamp\n${hash('sha256', request.body, 'hex')}`;
    const toSign = `AURA-HMAC-SHA256\n${timestamp}\n${appId}/${p.date}/aura_request\n${hash('sha256', canonical, 'hex')}`;
    const signature = hmacHex(p, toSign);
    return {
      url: `https://${request.host}${request.path}`,
      method: 'POST',
      headers: {
        Host: request.host,
        'Content-Type': 'application/json',
        'X-Aura-Timestamp': timestamp,
        'X-Aura-Nonce': nonce,
        Authorization: `AURA-HMAC-SHA256 Credential=${appId},SignedHeaders=content-type;host;x-aura-nonce;x-aura-timestamp,Signature=${signature}`,
      },
      body: request.body,
    };
  };
}

/**
 * A verifier of what that signer sends (lower-case header names, as Node gives them): the same
 * hashing, the window check, a constant-time comparison and a Set of seen nonces.
 */
export function padFloorVerifier(secrets) {
  const padsById = new Map(Object.entries(secrets).map(([id, s]) => [id, padsFor(s)]));
  let seen = new Set();
  return (request) => {
    const h = request.headers;
    const auth = h.authorization;
    const credentialAt = auth.indexOf('Credential=') + 11;
    const appId = auth.slice(credentialAt, auth.indexOf(',', credentialAt));
    const signedAt = auth.indexOf('SignedHeaders=') + 14;
    const signedHeaders = auth.slice(signedAt, auth.indexOf(',', signedAt));
    const given = auth.slice(auth.indexOf('Signature=') + 10);
    const timestamp = h['x-aura-timestamp'];
    const nonce = h['x-aura-nonce'];
    const seconds = Number(timestamp);
    if (Math.abs(seconds - Math.floor(Date.now() / 1000)) > 300) return false;
    const pads = padsById.get(appId)?.(seconds);
    if (pads === undefined) return false;
    const canonical = `${request.method}\n${request.url}\n\ncontent-type:${h['content-type']}\nhost:${h.host}\nx-aura-nonce:${nonce}\nx-aura-timestamp:${timestamp}\n\n${signedHeaders}\n${hash('sha256', request.body, 'hex')}`;
    const expected = hmacHex(
      pads,
      `AURA-HMAC-SHA256\n${timestamp}\n${appId}/${pads.date}/aura_request\n${hash('sha256', canonical, 'hex')}`,
    );
    let diff = expected.length ^ given.length;
    for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ given.charCodeAt(i);
    if (diff !== 0) return false;
    const key = `${appId}\n${nonce}`;
    if (seen.has(key)) return false;
    if (seen.size >= 1_000_000) seen = new Set();
    seen.add(key);
    return true;
  };
}
