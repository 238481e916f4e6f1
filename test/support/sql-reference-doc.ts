// Reads the views and columns docs/sql-reference.md documents (checked by test/sql-reference.test.ts).

export interface Column {
  name: string;
  type: string;
}

/** The "## Views" part of the doc: "### `view`" headings, each with a "| `column` | type | …" table. */
export function documentedViews(markdown: string): Map<string, Column[]> {
  const start = markdown.indexOf('\n## Views');
  if (start < 0) throw new Error('docs/sql-reference.md has no "## Views" section');
  const views = new Map<string, Column[]>();
  let current: Column[] | undefined;
  for (const line of markdown.slice(start).split('\n')) {
    const heading = /^### `(\w+)`/.exec(line);
    if (heading?.[1]) {
      current = [];
      views.set(heading[1], current);
      continue;
    }
    const row = /^\|\s*`(\w+)`\s*\|\s*([^|]+?)\s*\|/.exec(line);
    if (row?.[1] && row[2] && current) current.push({ name: row[1], type: row[2].trim() });
  }
  return views;
}
