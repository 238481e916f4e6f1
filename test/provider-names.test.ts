// Nothing outside providers/<name>/ and sql/ names a provider (docs/architecture.md, "The provider
// contract"): workflows, activities, the store, the worker, the CLI and the generic dashboards work
// from the catalog, the module list and the `providers` table. Adding a provider must not touch them.
import { describe, expect, it } from 'vitest';
import { readSource, sourceFiles } from './support/source-files.ts';

/** Every provider this project has or plans, as a word (so "sourced" or "tours" never match). */
const PROVIDER_NAME = /\b(whoop|oura|junction|apple_health)\b/i;

const GENERIC_DIRS = ['workflows', 'activities', 'store', 'worker', 'cli'];
const GENERIC_DASHBOARDS = ['pipeline', 'worker', 'overview', 'compare'];

function offenders(files: readonly string[]): string[] {
  return files.flatMap((file) =>
    readSource(file)
      .split('\n')
      .flatMap((line, index) => (PROVIDER_NAME.test(line) ? [`${file}:${index + 1}: ${line.trim()}`] : [])),
  );
}

describe('provider names', () => {
  it('are caught as words in any case, not inside other words', () => {
    expect(
      ['WHOOP budget', "provider = 'oura'", 'Junction id', 'apple_health'].every((t) =>
        PROVIDER_NAME.test(t),
      ),
    ).toBe(true);
    expect(['whooping', 'tours', 'sourced', 'conjunction'].some((t) => PROVIDER_NAME.test(t))).toBe(false);
  });

  it('appear nowhere in workflows/, activities/, store/, worker/ or cli/', () => {
    const files = sourceFiles(GENERIC_DIRS, ['.ts', '.mjs', '.js', '.json']);
    expect(files.length).toBeGreaterThan(30);
    expect(offenders(files)).toEqual([]);
  });

  it('appear nowhere in the generic dashboards, source or generated', () => {
    const files = GENERIC_DASHBOARDS.flatMap((name) => [
      `grafana/src/${name}.ts`,
      `grafana/dashboards/${name}.json`,
    ]);
    expect(offenders(files)).toEqual([]);
  });

  it('do appear where they belong (the check reads real files)', () => {
    expect(offenders(['providers/whoop/descriptor.ts']).length).toBeGreaterThan(0);
  });
});
