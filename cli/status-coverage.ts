// Covered date ranges and the gaps between them, per provider, user and kind, from the coverage
// ledger: what `wearhouse status` shows next to freshness. A gap lies between two covered ranges;
// re-running a backfill over a covered range costs no request.
import type { Sql } from '../store/db.ts';

export interface Range {
  from: string;
  to: string;
}

export interface KindCoverage {
  provider: string;
  user_id: string;
  kind: string;
  covered: Range[];
  gaps: Range[];
}

export async function loadCoverage(sql: Sql, userId?: string): Promise<KindCoverage[]> {
  const rows = await sql<
    (Omit<KindCoverage, 'covered' | 'gaps'> & { covered: Range[] | null; gaps: Range[] | null })[]
  >`
    with spans as (
      select provider, user_id, kind, range_agg(span) as covered
      from coverage
      where ${userId ?? null}::text is null or user_id = ${userId ?? null}
      group by 1, 2, 3
    )
    select provider, user_id, kind,
      (select json_agg(json_build_object('from', lower(r), 'to', upper(r)) order by lower(r))
         from unnest(covered) r) as covered,
      (select json_agg(json_build_object('from', lower(g), 'to', upper(g)) order by lower(g))
         from unnest(tstzmultirange(tstzrange(lower(covered), upper(covered))) - covered) g) as gaps
    from spans
    order by provider, user_id, kind`;
  return rows.map((row) => ({ ...row, covered: row.covered ?? [], gaps: row.gaps ?? [] }));
}

/** "2025-01-01→2025-03-01" (dates when on a UTC midnight, minutes otherwise). */
export function formatRange(range: Range): string {
  return `${formatInstant(range.from)}→${formatInstant(range.to)}`;
}

function formatInstant(value: string): string {
  const at = new Date(value);
  const iso = at.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 16).replace('T', ' ');
}

/** Lines for the status table: one per provider, user and kind. */
export function coverageLines(rows: readonly KindCoverage[]): string[] {
  return rows.map((row) => {
    const covered = row.covered.map(formatRange).join(', ') || 'nothing';
    const gaps = row.gaps.length ? `; gaps ${row.gaps.map(formatRange).join(', ')}` : '; no gaps';
    return `${row.provider} ${row.user_id} ${row.kind}: covered ${covered}${gaps}`;
  });
}
