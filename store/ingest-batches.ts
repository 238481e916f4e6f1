// Raw pushed batches (sql/041_ingest_batches.sql): stored before anything is answered, normalized
// into `records` later, replayable.
import { createHash } from 'node:crypto';
import type { Queryable } from './db.ts';

export interface NewBatch {
  userId: string;
  provider: string;
  format: string;
  payload: Buffer;
  sessionId: string | null;
  headers: Record<string, string>;
}

export interface StoredBatch {
  id: string;
  /** False when the same bytes from the same user were already stored (a re-send). */
  created: boolean;
}

export interface BatchRow {
  id: string;
  user_id: string;
  provider: string;
  format: string;
  payload: Buffer;
  received_at: Date;
  normalized_at: Date | null;
}

export const payloadHash = (payload: Buffer) => createHash('sha256').update(payload).digest('hex');

export async function storeBatch(sql: Queryable, batch: NewBatch): Promise<StoredBatch> {
  const hash = payloadHash(batch.payload);
  const [inserted] = await sql<{ id: string }[]>`
    insert into ingest_batches (user_id, provider, format, payload_hash, payload, bytes, session_id, headers)
    values (${batch.userId}, ${batch.provider}, ${batch.format}, ${hash}, ${batch.payload},
            ${batch.payload.length}, ${batch.sessionId}, ${sql.json(batch.headers)})
    on conflict (user_id, payload_hash) do nothing
    returning id::text`;
  if (inserted) return { id: inserted.id, created: true };
  const [existing] = await sql<{ id: string }[]>`
    select id::text from ingest_batches where user_id = ${batch.userId} and payload_hash = ${hash}`;
  if (!existing) throw new Error('ingest batch vanished between insert and select');
  return { id: existing.id, created: false };
}

export async function getBatch(sql: Queryable, id: string): Promise<BatchRow | undefined> {
  const [row] = await sql<BatchRow[]>`
    select id::text, user_id, provider, format, payload, received_at, normalized_at
    from ingest_batches where id = ${id}`;
  return row;
}

export async function markNormalized(sql: Queryable, id: string, records: number): Promise<void> {
  await sql`update ingest_batches set normalized_at = now(), normalize_error = null, records = ${records}
            where id = ${id}`;
}

export async function markNormalizeFailed(sql: Queryable, id: string, error: string): Promise<void> {
  await sql`update ingest_batches set normalize_error = ${error.slice(0, 2000)} where id = ${id}`;
}

/**
 * Batches waiting for normalization longer than `olderThanSeconds` and not failed (a failed one
 * waits for `wearhouse ingest replay` after the normalizer is fixed).
 */
export async function pendingBatchIds(sql: Queryable, olderThanSeconds: number, limit = 500) {
  const rows = await sql<{ id: string }[]>`
    select id::text from ingest_batches
    where normalized_at is null and normalize_error is null
      and received_at < now() - make_interval(secs => ${olderThanSeconds})
    order by received_at limit ${limit}`;
  return rows.map((r) => r.id);
}

export async function allBatchIds(sql: Queryable): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`select id::text from ingest_batches order by id`;
  return rows.map((r) => r.id);
}

/** For the metrics: how many batches wait, and the age of the oldest in seconds. */
export async function ingestLag(sql: Queryable): Promise<{ pending: number; oldestSeconds: number }> {
  const [row] = await sql<{ pending: number; oldest: number | null }[]>`
    select count(*)::int as pending,
           extract(epoch from now() - min(received_at))::float8 as oldest
    from ingest_batches where normalized_at is null`;
  return { pending: row?.pending ?? 0, oldestSeconds: row?.oldest ?? 0 };
}
