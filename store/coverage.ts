// The coverage ledger (docs/architecture.md decision 1) and sync watermarks. A backfill asks which parts of
// its range are not yet covered by final spans, and fetches only those.
import type { Sql, Queryable as Tx } from './db.ts';

export interface Span {
  start: Date;
  end: Date;
}

/** The parts of [start, end) not covered by a final span of this kind. */
export async function uncoveredSpans(
  sql: Sql,
  key: { provider: string; userId: string; kind: string },
  range: Span,
): Promise<Span[]> {
  const rows = await sql<{ lower: Date; upper: Date }[]>`
    with covered as (
      select coalesce(range_agg(span), '{}'::tstzmultirange) as spans
      from coverage
      where provider = ${key.provider} and user_id = ${key.userId} and kind = ${key.kind} and final
        and span && tstzrange(${range.start}, ${range.end}, '[)')
    )
    select lower(gap) as lower, upper(gap) as upper
    from covered, unnest(tstzmultirange(tstzrange(${range.start}, ${range.end}, '[)')) - covered.spans) as gap
    order by 1`;
  return rows.map((row) => ({ start: row.lower, end: row.upper }));
}

export async function recordCoverage(
  sql: Tx,
  key: { provider: string; userId: string; kind: string },
  span: Span,
  details: { final: boolean; records: number; workflowId: string | null },
): Promise<void> {
  await sql`
    insert into coverage (provider, user_id, kind, span, final, records, workflow_id)
    values (${key.provider}, ${key.userId}, ${key.kind}, tstzrange(${span.start}, ${span.end}, '[)'),
            ${details.final}, ${details.records}, ${details.workflowId})`;
}

/** Watermarks only move forward. */
export async function advanceWatermark(
  sql: Tx,
  key: { provider: string; userId: string; kind: string },
  watermark: Date,
): Promise<void> {
  await sql`
    insert into sync_watermarks (provider, user_id, kind, watermark)
    values (${key.provider}, ${key.userId}, ${key.kind}, ${watermark})
    on conflict (provider, user_id, kind) do update
      set watermark = greatest(sync_watermarks.watermark, excluded.watermark), updated_at = now()`;
}

export async function watermarks(sql: Sql, provider: string, userId: string): Promise<Map<string, Date>> {
  const rows = await sql<{ kind: string; watermark: Date }[]>`
    select kind, watermark from sync_watermarks where provider = ${provider} and user_id = ${userId}`;
  return new Map(rows.map((row) => [row.kind, row.watermark]));
}
