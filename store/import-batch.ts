// One batch of a file import stored in ONE statement (sql/095_import_batch.sql): the ledger's claim,
// the records' upsert, the quarantined elements and the ledger's advance commit together, in one
// round trip. Same semantics as upsertRecords (store/records.ts): a row is only rewritten when its
// payload changed, the counts say inserted / updated / unchanged, and rows of the batch that are
// exact duplicates of another row in it (same key) are stored once, the last one winning.
import type { MappedRecord, QuarantinedRecord } from '../providers/types.ts';
import type { Queryable } from './db.ts';
import { type FileImportRow, ImportPositionMovedError, normalizedFileImport } from './file-imports.ts';
import { quarantineRows } from './records.ts';

export interface ImportBatchWrite {
  runId: string;
  workflowId: string;
  provider: string;
  userId: string;
  /** The committed position this batch continues from; the statement fails unless it still is. */
  fromByte: number;
  toByte: number;
  elements: number;
  records: readonly MappedRecord[];
  quarantined: QuarantinedRecord[];
  routes: number;
}

/** The batch's records, one per key (the last wins), as the JSON the statement reads. */
export function recordsJson(records: readonly MappedRecord[]): { json: string; distinct: number } {
  const byKey = new Map<string, MappedRecord>();
  for (const r of records) byKey.set(`${r.kind}\u0000${r.sourceId}`, r);
  const rows = [];
  for (const r of byKey.values()) {
    rows.push({
      kind: r.kind,
      source_id: r.sourceId,
      start_at: r.startAt,
      end_at: r.endAt,
      tz_offset: r.tzOffset,
      local_day: r.localDay,
      provider_updated_at: r.providerUpdatedAt,
      source: r.source ?? null,
      payload: r.payload,
    });
  }
  // Dates become ISO strings (Date.prototype.toJSON), which timestamptz reads back exactly.
  return { json: JSON.stringify(rows), distinct: rows.length };
}

/**
 * Stores the batch and advances the ledger; returns the ledger row as committed. Throws
 * ImportPositionMovedError (nothing stored) when another attempt already stored from `fromByte`.
 * The statement is serialized here, so the caller may drop the batch's objects once this returns a
 * promise; several calls issued on one reserved connection are pipelined in order.
 */
export function storeImportBatch(sql: Queryable, b: ImportBatchWrite): Promise<FileImportRow> {
  const { json, distinct } = recordsJson(b.records);
  const quarantine = JSON.stringify(quarantineRows(b.provider, b.userId, b.quarantined));
  // ::text first: a parameter typed jsonb would have postgres.js stringify the string once more.
  const query = sql<FileImportRow[]>`
    select * from wearhouse_import_batch(
      ${b.runId}, ${b.fromByte}, ${b.toByte}, ${b.provider}, ${b.userId}, ${b.workflowId},
      ${json}::text::jsonb, ${quarantine}::text::jsonb,
      ${b.elements}, ${b.records.length}, ${b.records.length - distinct}, ${b.quarantined.length}, ${b.routes})`;
  return query.then(
    ([row]) => normalizedFileImport(row),
    (error: unknown) => {
      if ((error as { code?: string }).code === 'WH409') {
        throw new ImportPositionMovedError((error as Error).message);
      }
      throw error;
    },
  );
}
