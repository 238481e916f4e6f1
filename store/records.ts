// Idempotent upserts that count (docs/architecture.md decision 3): a page is written in one statement; a row
// is only rewritten when its payload changed, and the result says inserted / updated / unchanged.
import { createHash } from 'node:crypto';
import type { MappedRecord, QuarantinedRecord } from '../providers/types.ts';
import type { Queryable as Tx } from './db.ts';

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export async function upsertRecords(
  sql: Tx,
  provider: string,
  userId: string,
  records: MappedRecord[],
): Promise<UpsertCounts> {
  // A page never holds the same record twice, but if it did, ON CONFLICT would refuse the whole
  // statement: keep the last occurrence.
  const unique = [...new Map(records.map((r) => [`${r.kind}\u0000${r.sourceId}`, r])).values()];
  if (unique.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const rows = unique.map((r) => ({
    kind: r.kind,
    source_id: r.sourceId,
    start_at: r.startAt?.toISOString() ?? null,
    end_at: r.endAt?.toISOString() ?? null,
    tz_offset: r.tzOffset,
    local_day: r.localDay,
    provider_updated_at: r.providerUpdatedAt?.toISOString() ?? null,
    payload: r.payload,
    parent_kind: r.timeFrom?.kind ?? null,
    parent_id: r.timeFrom?.sourceId ?? null,
    source: r.source ?? null,
  }));
  const [result] = await sql<{ inserted: number; updated: number }[]>`
    with input as (
      select x.*, parent.start_at as p_start, parent.end_at as p_end, parent.tz_offset as p_tz,
             parent.local_day as p_day
      from jsonb_to_recordset(${sql.json(rows as never)}::jsonb) as x(
        kind text, source_id text, start_at timestamptz, end_at timestamptz, tz_offset text, local_day date,
        provider_updated_at timestamptz, payload jsonb, parent_kind text, parent_id text, source text)
      left join records parent
        on parent.provider = ${provider} and parent.user_id = ${userId}
       and parent.kind = x.parent_kind and parent.source_id = x.parent_id
    ), upserted as (
      insert into records as r (provider, user_id, kind, source_id, start_at, end_at, tz_offset, local_day,
                                provider_updated_at, payload, parent_kind, parent_source_id, source)
      select ${provider}, ${userId}, kind, source_id, coalesce(start_at, p_start), coalesce(end_at, p_end),
             coalesce(tz_offset, p_tz), coalesce(local_day, p_day), provider_updated_at, payload,
             parent_kind, parent_id, source
      from input
      on conflict (provider, user_id, kind, source_id) do update set
        -- A child whose parent is not (or no longer) stored keeps the times it had.
        start_at = coalesce(excluded.start_at, r.start_at), end_at = coalesce(excluded.end_at, r.end_at),
        tz_offset = coalesce(excluded.tz_offset, r.tz_offset), local_day = coalesce(excluded.local_day, r.local_day),
        provider_updated_at = excluded.provider_updated_at, payload = excluded.payload,
        parent_kind = excluded.parent_kind, parent_source_id = excluded.parent_source_id,
        source = excluded.source, last_changed_at = now(), deleted_at = null
      where (r.payload is distinct from excluded.payload or r.deleted_at is not null
         or r.source is distinct from excluded.source
         or r.start_at is distinct from coalesce(excluded.start_at, r.start_at))
        -- Latest version wins: an older one arriving late (a replayed webhook) never overwrites.
        and (excluded.provider_updated_at is null or r.provider_updated_at is null
             or excluded.provider_updated_at >= r.provider_updated_at)
      returning (xmax = 0) as inserted
    )
    select count(*) filter (where inserted)::int as inserted, count(*) filter (where not inserted)::int as updated
    from upserted`;
  const inserted = result?.inserted ?? 0;
  const updated = result?.updated ?? 0;
  await adoptOrphans(sql, provider, userId, unique);
  return { inserted, updated, unchanged: unique.length - inserted - updated };
}

/**
 * Children stored before their parent (a recovery whose cycle window ran later, or whose cycle was
 * quarantined) take their times once the parent is stored. Not counted as updates: the payload did
 * not change.
 */
async function adoptOrphans(sql: Tx, provider: string, userId: string, parents: MappedRecord[]) {
  const keys = parents.filter((p) => p.startAt).map((p) => ({ kind: p.kind, source_id: p.sourceId }));
  if (keys.length === 0) return;
  await sql`
    update records c
       set start_at = p.start_at, end_at = p.end_at, tz_offset = p.tz_offset, local_day = p.local_day
      from jsonb_to_recordset(${sql.json(keys as never)}::jsonb) as k(kind text, source_id text)
      join records p on p.provider = ${provider} and p.user_id = ${userId}
                    and p.kind = k.kind and p.source_id = k.source_id
     where c.provider = ${provider} and c.user_id = ${userId} and c.start_at is null
       and c.parent_kind = p.kind and c.parent_source_id = p.source_id`;
}

/**
 * Soft-deletes records of a fully re-fetched span that the provider no longer returned. The span
 * rule mirrors the provider's collection filter: start in [start, end), or, for providers that filter
 * by day (`days`), local_day in [startDay, endDay).
 */
export async function softDeleteUnseen(
  sql: Tx,
  span: {
    provider: string;
    userId: string;
    kind: string;
    start: Date;
    end: Date;
    days?: { startDay: string; endDay: string };
  },
  seenSourceIds: string[],
): Promise<number> {
  const inSpan = span.days
    ? sql`local_day >= ${span.days.startDay}::date and local_day < ${span.days.endDay}::date`
    : sql`start_at >= ${span.start} and start_at < ${span.end}`;
  const result = await sql`
    update records set deleted_at = now(), last_changed_at = now()
    where provider = ${span.provider} and user_id = ${span.userId} and kind = ${span.kind}
      and ${inSpan} and deleted_at is null
      and not (source_id = any(${seenSourceIds}::text[]))`;
  return result.count;
}

export interface QuarantineRow {
  fingerprint: string;
  kind: string;
  source_id: string | null;
  reason: string;
  payload: unknown;
  seen_count: number;
}

/**
 * The quarantine rows of a page: one row per distinct bad record with the number of sightings, as
 * Postgres will not update a row twice in one statement.
 */
export function quarantineRows(
  provider: string,
  userId: string,
  records: QuarantinedRecord[],
): QuarantineRow[] {
  const rows = new Map<string, QuarantineRow>();
  for (const r of records) {
    const fingerprint = createHash('sha256')
      // The payload too: two different bad records that share a (broken) id are two rows, and a
      // bad record whose payload changed is kept as it is now; the same one met again is one row.
      .update(JSON.stringify([provider, userId, r.kind, r.sourceId, r.reason, r.payload]))
      .digest('hex');
    const seen = rows.get(fingerprint);
    if (seen) seen.seen_count++;
    else
      rows.set(fingerprint, {
        fingerprint,
        kind: r.kind,
        source_id: r.sourceId,
        reason: r.reason,
        payload: r.payload === undefined ? null : r.payload,
        seen_count: 1,
      });
  }
  return [...rows.values()];
}

export async function quarantineRecords(
  sql: Tx,
  provider: string,
  userId: string,
  records: QuarantinedRecord[],
  workflowId: string | null,
): Promise<void> {
  if (records.length === 0) return;
  const rows = quarantineRows(provider, userId, records);
  await sql`
    insert into quarantine (fingerprint, provider, user_id, kind, source_id, reason, payload, workflow_id, seen_count)
    select fingerprint, ${provider}, ${userId}, kind, source_id, reason, payload, ${workflowId}, seen_count
    from jsonb_to_recordset(${sql.json(rows as never)}::jsonb)
      as x(fingerprint text, kind text, source_id text, reason text, payload jsonb, seen_count int)
    on conflict (fingerprint) do update set
      seen_count = quarantine.seen_count + excluded.seen_count, last_seen_at = now()`;
}
