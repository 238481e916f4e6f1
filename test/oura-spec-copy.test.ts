// The project carries its own copy of the Oura OpenAPI document (tests and the sandbox validate against
// it); where the shared original sits beside the repository, the copy must not have drifted from it.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const copy = new URL('../providers/oura/spec/oura-openapi.yml', import.meta.url);
const shared = new URL('../../shared/specs/oura-openapi.yml', import.meta.url);

describe('the Oura spec copy', () => {
  it('is the shared spec, byte for byte (when ../shared is present)', () => {
    const text = readFileSync(copy, 'utf8');
    expect(text).toMatch(/^openapi: 3\./);
    if (!existsSync(shared)) return;
    expect(text).toBe(readFileSync(shared, 'utf8'));
  });
});
