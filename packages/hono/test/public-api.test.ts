// The package's run-time exports, so that an accidental change shows up in review.
import { expect, it } from 'vitest';
import * as api from '../src/index';

it('exports the adapter table’s Hono names and nothing else', () => {
  const exported = Object.entries(api).map(([name, value]) => `${name}: ${typeof value}`);
  expect(exported.sort()).toMatchInlineSnapshot(`
    [
      "auraCapture: function",
      "auraErrorHandler: function",
      "auraMiddleware: function",
      "auraRoutes: function",
      "requireAuraToken: function",
      "verifyAuraSignature: function",
    ]
  `);
});
