// Nothing outside providers/<name>/ and sql/ names a provider (docs/architecture.md, "The provider
// contract"): workflows, activities, the store, the worker, the CLI and the generic dashboards work
// from the catalog, the module list and the `providers` table. Adding a provider must not touch them.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, readSource, sourceFiles } from './support/source-files.ts';

/** Every provider this project has or plans, as a word (so "sourced" or "tours" never match). */
const PROVIDER_NAME = /\b(whoop|oura|junction|apple_health)\b/i;

const GENERIC_DIRS = ['workflows', 'activities', 'store', 'worker', 'cli', 'serve', 'bin'];
/**
 * The one place each provider is named outside its folder: the lists that wire its modules in
 * (docs/adding-a-provider.md). Every other file directly under providers/ is shared code.
 */
const REGISTRATION_FILES = [
  'providers/catalog.ts',
  'providers/modules.ts',
  'providers/file-importers.ts',
  'providers/file-import-sources.ts',
];
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

  it('appear nowhere in workflows/, activities/, store/, worker/, cli/, serve/ or bin/', () => {
    const files = sourceFiles(GENERIC_DIRS, ['.ts', '.mjs', '.js', '.json']);
    expect(files.length).toBeGreaterThan(30);
    expect(offenders(files)).toEqual([]);
  });

  it('appear in the shared files directly under providers/ only where modules are registered', () => {
    const shared = readdirSync(join(ROOT, 'providers'))
      .filter((entry) => entry.endsWith('.ts'))
      .map((entry) => `providers/${entry}`);
    expect(shared.length).toBeGreaterThan(10);
    expect(offenders(shared.filter((file) => !REGISTRATION_FILES.includes(file)))).toEqual([]);
    // The registration files exist and do name them (a renamed file would silently widen the exception).
    for (const file of REGISTRATION_FILES) expect(offenders([file]).length, file).toBeGreaterThan(0);
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
