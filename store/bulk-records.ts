// Bulk upserts for large imports: a batch is COPYed into a temporary staging table and merged into
// `records` with ONE INSERT … SELECT … ON CONFLICT per batch (no row-at-a-time statements). Same
// semantics as upsertRecords (store/records.ts): a row is only rewritten when its payload changed,
// and the result says inserted / updated / unchanged, plus how many rows of the batch were exact
// duplicates of another row in it (stored once).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type postgres from 'postgres';
import type { MappedRecord } from '../providers/types.ts';

export interface BulkCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  duplicates: number;
}

/** COPY text format: \N for null; backslash, tab, newline and CR escaped. */
function field(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

function* copyLines(records: readonly MappedRecord[]): Generator<string> {
  let chunk = '';
  for (const r of records) {
    chunk += `${field(r.kind)}\t${field(r.sourceId)}\t${field(r.startAt?.toISOString())}\t${field(
      r.endAt?.toISOString(),
    )}\t${field(r.tzOffset)}\t${field(r.localDay)}\t${field(r.providerUpdatedAt?.toISOString())}\t${field(
      r.source ?? null,
    )}\t${field(JSON.stringify(r.payload))}\n`;
    if (chunk.length > 256 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** Must run inside a transaction (`sql.begin`): the staging table lives until its commit. */
export async function bulkUpsertRecords(
  tx: postgres.TransactionSql,
  provider: string,
  userId: string,
  records: readonly MappedRecord[],
): Promise<BulkCounts> {
  if (records.length === 0) return { inserted: 0, updated: 0, unchanged: 0, duplicates: 0 };
  await tx`
    create temp table bulk_records_stage (
      seq bigint generated always as identity, kind text, source_id text, start_at timestamptz, end_at timestamptz, tz_offset text, local_day date,
      provider_updated_at timestamptz, source text, payload jsonb
    ) on commit drop`;
  const writable = await tx`
    copy bulk_records_stage (kind, source_id, start_at, end_at, tz_offset, local_day, provider_updated_at,
                             source, payload) from stdin`.writable();
  await pipeline(Readable.from(copyLines(records)), writable);
  const [result] = await tx<{ distinct_rows: number; inserted: number; updated: number }[]>`
    with input as (
      -- The same key twice in one batch: the last one wins, as in upsertRecords.
      select distinct on (kind, source_id) * from bulk_records_stage order by kind, source_id, seq desc
    ), upserted as (
      insert into records as r (provider, user_id, kind, source_id, start_at, end_at, tz_offset, local_day,
                                provider_updated_at, source, payload)
      select ${provider}, ${userId}, kind, source_id, start_at, end_at, tz_offset, local_day,
             provider_updated_at, source, payload
      from input
      on conflict (provider, user_id, kind, source_id) do update set
        start_at = excluded.start_at, end_at = excluded.end_at, tz_offset = excluded.tz_offset,
        local_day = excluded.local_day, provider_updated_at = excluded.provider_updated_at,
        source = excluded.source, payload = excluded.payload, last_changed_at = now(), deleted_at = null
      where r.payload is distinct from excluded.payload or r.deleted_at is not null
      returning (xmax = 0) as inserted
    )
    select (select count(*) from input)::int as distinct_rows,
           (count(*) filter (where inserted))::int as inserted,
           (count(*) filter (where not inserted))::int as updated
    from upserted`;
  const distinctRows = result?.distinct_rows ?? 0;
  const inserted = result?.inserted ?? 0;
  const updated = result?.updated ?? 0;
  return {
    inserted,
    updated,
    unchanged: distinctRows - inserted - updated,
    duplicates: records.length - distinctRows,
  };
}
