// The file-import ledger (sql/030_file_imports.sql): one row per import run, its committed position
// and counts. A batch's records and the ledger's advance commit in one statement (store/import-batch.ts),
// so the position an attempt resumes from is exactly what is stored.
import type { Queryable } from './db.ts';

export interface FileImportRow {
  run_id: string;
  workflow_id: string;
  provider: string;
  user_id: string;
  path: string;
  container: string | null;
  xml_name: string | null;
  xml_bytes: number | null;
  byte_offset: number;
  elements: number;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  duplicates: number;
  quarantined: number;
  routes: number;
  attempts: number;
  status: 'running' | 'completed' | 'failed';
  error: string | null;
  started_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export interface ImportKey {
  runId: string;
  workflowId: string;
  provider: string;
  userId: string;
  path: string;
}

const COUNTERS = [
  'xml_bytes',
  'byte_offset',
  'elements',
  'records',
  'inserted',
  'updated',
  'unchanged',
  'duplicates',
  'quarantined',
  'routes',
] as const;

/** bigint columns arrive as BigInt: numbers here (they stay far below 2^53). */
export function normalizedFileImport(row: FileImportRow | undefined): FileImportRow {
  if (!row) throw new Error('file_imports: no such run');
  const out = { ...row } as Record<string, unknown>;
  for (const c of COUNTERS) if (out[c] !== null) out[c] = Number(out[c]);
  return out as unknown as FileImportRow;
}

/** Starts the run's row, or (a retry, or the next slice) returns it as committed so far. */
export async function openFileImport(sql: Queryable, key: ImportKey): Promise<FileImportRow> {
  const [row] = await sql<FileImportRow[]>`
    insert into file_imports (run_id, workflow_id, provider, user_id, path, attempts)
    values (${key.runId}, ${key.workflowId}, ${key.provider}, ${key.userId}, ${key.path}, 1)
    on conflict (run_id) do update set attempts = file_imports.attempts + 1, updated_at = now()
    returning *`;
  return normalizedFileImport(row);
}

export async function describeFileImportSource(
  sql: Queryable,
  runId: string,
  source: { container: string; xmlName: string; xmlBytes: number },
): Promise<void> {
  await sql`
    update file_imports set container = ${source.container}, xml_name = ${source.xmlName},
      xml_bytes = ${source.xmlBytes}, updated_at = now()
    where run_id = ${runId}`;
}

/**
 * Another attempt of the same import committed from this position first (a retry started while an
 * attempt it replaced was still running): this attempt must stop, its batch is rolled back.
 */
export class ImportPositionMovedError extends Error {
  override name = 'ImportPositionMovedError';
}

export async function finishFileImport(
  sql: Queryable,
  runId: string,
  outcome: { status: 'completed' } | { status: 'failed'; error: string },
): Promise<void> {
  await sql`
    update file_imports set status = ${outcome.status},
      error = ${outcome.status === 'failed' ? outcome.error : null}, finished_at = now(), updated_at = now()
    where run_id = ${runId}`;
}
