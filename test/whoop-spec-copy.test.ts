// The project carries its own copy of the WHOOP OpenAPI document, so a clone is self-contained;
// where the shared original sits beside the repository, the copy must not have drifted from it.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WHOOP_SPEC_URL } from './fixtures/whoop-spec.ts';

const shared = new URL('../../shared/specs/whoop-openapi.yml', import.meta.url);

describe('the WHOOP spec copy', () => {
  it('is the shared spec, byte for byte (when ../shared is present)', () => {
    const copy = readFileSync(WHOOP_SPEC_URL, 'utf8');
    expect(copy).toMatch(/^openapi: 3\./);
    if (!existsSync(shared)) return;
    expect(copy).toBe(readFileSync(shared, 'utf8'));
  });
});
