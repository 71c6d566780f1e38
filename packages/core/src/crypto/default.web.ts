// The edge build's default backend: WebCrypto, no `node:crypto` import.
export { webBackend as defaultBackend } from './web';
