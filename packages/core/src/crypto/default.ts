// The backend the package uses by default. The edge build (`dist/web/`) resolves this module to
// `./web` instead (see tsup.preset.ts), so `exports` conditions choose the backend.
export { nodeBackend as defaultBackend } from './node';
