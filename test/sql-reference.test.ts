// docs/sql-reference.md against the migrations: every view of the public schema, with its columns
// in order and their types, is documented, and nothing documented is missing from the database.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { type Column, documentedViews } from './support/sql-reference-doc.ts';

let db: TestDatabase;
let actual: Map<string, Column[]>;
let documented: Map<string, Column[]>;

beforeAll(async () => {
  db = await createTestDatabase();
  const rows = await db.sql<{ view: string; name: string; type: string }[]>`
    select c.table_name as view, c.column_name as name, c.data_type as type
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'VIEW'
      -- A typed view's per-provider branches (<view>__<provider>) carry its columns.
      and position('__' in c.table_name) = 0
    order by c.table_name, c.ordinal_position`;
  actual = new Map();
  for (const r of rows) actual.set(r.view, [...(actual.get(r.view) ?? []), { name: r.name, type: r.type }]);
  documented = documentedViews(await readFile(new URL('../docs/sql-reference.md', import.meta.url), 'utf8'));
});

afterAll(() => db?.close());

describe('docs/sql-reference.md', () => {
  it('documents every view of the database, and only those', () => {
    expect(actual.size).toBeGreaterThan(8);
    expect([...documented.keys()].sort()).toEqual([...actual.keys()].sort());
  });

  it('lists every column of every view in order, with its type', () => {
    for (const [view, columns] of actual) {
      const lines = (cs: Column[] | undefined) => (cs ?? []).map((c) => `${c.name} ${c.type}`);
      expect(lines(documented.get(view)), view).toEqual(lines(columns));
    }
  });

  it('the parser sees a changed doc (so the checks above can fail)', () => {
    const doc =
      '\n## Views\n\n### `v`\n\n| column | type |\n| --- | --- |\n| `a` | text | x |\n| `b` | date | y |\n';
    expect(documentedViews(doc)).toEqual(
      new Map([
        [
          'v',
          [
            { name: 'a', type: 'text' },
            { name: 'b', type: 'date' },
          ],
        ],
      ]),
    );
    expect(documentedViews(doc.replace('`b` | date', '`c` | date')).get('v')?.[1]?.name).toBe('c');
  });
});
