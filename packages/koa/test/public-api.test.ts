import { describe, expect, it } from 'vitest';
import * as koa from '../src/index';

// An accidental change to what @aura/koa exports shows up here, in review, before users see it.
describe('@aura/koa public API', () => {
  it('exports exactly these names, each a middleware factory', () => {
    expect(Object.keys(koa).sort()).toMatchInlineSnapshot(`
      [
        "auraCapture",
        "auraErrors",
        "auraMiddleware",
        "auraRouter",
        "requireAuraToken",
        "verifyAuraSignature",
      ]
    `);
    for (const factory of Object.values(koa)) expect(typeof factory).toBe('function');
  });
});
