import { AuraError } from '../errors';

/**
 * The API root that every endpoint path is joined to. `https://host`, `https://host/` and
 * `https://host/api/` all mean `https://host/api` (the vendor's Python client takes the host,
 * the uploader docs the API root); a path prefix is kept: `https://host/aura` → `https://host/aura/api`.
 */
export function normalizeBaseUrl(input: string): string {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new AuraError(
      'configuration',
      'baseUrl is required, e.g. https://aura.example.com/api (AURA_BASE_URL)',
    );
  }
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch (cause) {
    throw new AuraError(
      'configuration',
      `baseUrl "${input.slice(0, 200)}" is not a valid URL; e.g. https://aura.example.com/api`,
      { cause },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AuraError('configuration', `baseUrl must use http or https (got "${url.protocol}")`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new AuraError('configuration', 'baseUrl must not carry credentials (user:password@)');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new AuraError('configuration', 'baseUrl must not have a query or a fragment');
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/api')) path += '/api';
  return url.origin + path;
}
