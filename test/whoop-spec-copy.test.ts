// The project carries its own copy of the WHOOP OpenAPI document (providers/whoop/spec), so a clone is
// self-contained. The copy must document every endpoint the client calls and every schema the tests
// validate against; where the original specs folder sits beside the checkout (the team's workspace),
// the copy must also be that file byte for byte. A clone without it reports that test as skipped, by name.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { WHOOP_COLLECTION_PATHS } from '../providers/whoop/client.ts';
import { WHOOP_COLLECTION_KINDS } from '../providers/whoop/mapping.ts';
import { RECORD_SCHEMA, WHOOP_SPEC_URL } from './fixtures/whoop-spec.ts';

const original = new URL('../../shared/specs/whoop-openapi.yml', import.meta.url);
const copy = readFileSync(WHOOP_SPEC_URL, 'utf8');
const spec = parse(copy) as {
  openapi: string;
  paths: Record<string, { get?: { responses?: Record<string, unknown> } }>;
  components: { schemas: Record<string, unknown> };
};

describe('the WHOOP spec copy', () => {
  it('is an OpenAPI 3 document with a GET for every collection the workflows plan', () => {
    expect(spec.openapi).toMatch(/^3\./);
    for (const kind of WHOOP_COLLECTION_KINDS) {
      const path = WHOOP_COLLECTION_PATHS[kind];
      expect(spec.paths[path]?.get?.responses?.['200'], `GET ${path} (${kind})`).toBeDefined();
    }
  });

  it('defines the record schema of every collection kind', () => {
    for (const kind of WHOOP_COLLECTION_KINDS) {
      expect(spec.components.schemas[RECORD_SCHEMA[kind]], `${kind}: ${RECORD_SCHEMA[kind]}`).toBeDefined();
    }
  });

  it.skipIf(!existsSync(original))(
    'is the original spec byte for byte (skipped where the specs folder is absent)',
    () => {
      expect(copy).toBe(readFileSync(original, 'utf8'));
    },
  );
});
