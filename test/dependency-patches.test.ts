// patches/ holds fixes `npm ci` applies to dependencies (patch-package, docs/operating.md
// "Dependency patches"). Each must be in the installed code, or the bug it fixes is back: here a
// write scheduled on a postgres.js connection that Postgres closed, which threw out of setImmediate
// and took the whole process down (seen in test/reliability-restarts.test.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The package the project imports (its exports map hides package.json from resolution).
const postgresRoot = fileURLToPath(new URL('../node_modules/postgres/', import.meta.url));

describe('dependency patches', () => {
  it('postgres.js settles writes on a closed connection instead of throwing', async () => {
    const pkg = JSON.parse(await readFile(join(postgresRoot, 'package.json'), 'utf8')) as { version: string };
    // The patch is for this version: a new one must be checked against upstream before it lands.
    expect(pkg.version).toBe('3.4.9');
    for (const file of ['src/connection.js', 'cjs/src/connection.js']) {
      const source = await readFile(join(postgresRoot, file), 'utf8');
      const nextWrite = source.slice(source.indexOf('function nextWrite(fn) {'));
      expect(nextWrite.slice(0, 600), file).toMatch(
        /if \(!socket\) \{[^}]*error\(Errors\.connection\('CONNECTION_CLOSED'/,
      );
    }
  });
});
