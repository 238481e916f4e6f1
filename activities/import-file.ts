// `importFileSlice`: streams a file-import source (an export) from the run's committed position for at
// most `sliceSeconds`, committing each batch together with the ledger's advance in one statement
// (store/import-batch.ts), and heartbeats the position. A retried attempt (worker killed, Postgres
// restarted) resumes from the committed position, so the end result equals one uninterrupted import.
// Parsing overlaps with storing: up to IN_FLIGHT batches are sent, pipelined on one connection.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { BadImportFileError, type FileImporter } from '../providers/file-import.ts';
import { refreshDeferredDailyRows } from '../store/daily-rollup.ts';
import type { Sql } from '../store/db.ts';
import {
  describeFileImportSource,
  type FileImportRow,
  finishFileImport,
  ImportPositionMovedError,
  openFileImport,
} from '../store/file-imports.ts';
import { storeImportBatch } from '../store/import-batch.ts';
import { FAILURE_TYPES, toApplicationFailure } from './failures.ts';
import type { ActivityLogger } from './types.ts';

export interface ImportSliceInput {
  provider: string;
  userId: string;
  path: string;
  /** Stop at the first batch boundary after this long, so the workflow can report progress. */
  sliceSeconds?: number;
  batchElements?: number;
}

export interface ImportProgress {
  done: boolean;
  container: string | null;
  xmlName: string | null;
  bytesTotal: number | null;
  bytesDone: number;
  elements: number;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  duplicates: number;
  quarantined: number;
  routes: number;
  attempts: number;
}

export interface ImportFileDeps {
  sql: Sql;
  importers: Readonly<Record<string, FileImporter>>;
  logger: ActivityLogger;
  /** Default top-level elements per batch when the input names none (IMPORT_BATCH_ELEMENTS). */
  batchElements?: number;
  /** Tests: called after each committed batch (fault injection). */
  afterBatch?: (progress: ImportProgress) => void | Promise<void>;
}

export function progressOf(row: FileImportRow, done = row.status === 'completed'): ImportProgress {
  return {
    done,
    container: row.container,
    xmlName: row.xml_name,
    bytesTotal: row.xml_bytes,
    bytesDone: row.byte_offset,
    elements: row.elements,
    records: row.records,
    inserted: row.inserted,
    updated: row.updated,
    unchanged: row.unchanged,
    duplicates: row.duplicates,
    quarantined: row.quarantined,
    routes: row.routes,
    attempts: row.attempts,
  };
}

// A slice re-reads the file from its start up to the committed position (deflate cannot seek): long
// slices make that rare. The import's days are recomputed once, when its last slice ends. The activity heartbeats
// after every batch, so a killed worker is still noticed within the heartbeat timeout, and progress
// shows in the heartbeat details (`--follow`, the Temporal UI) between slices.
const DEFAULT_SLICE_SECONDS = 300;
// Batches sent but not yet committed: two keep Postgres busy while the next one is parsed (the second
// is queued on the connection behind the first, no round trip between them), and bound memory: a
// sent batch is only its JSON text (store/import-batch.ts).
const IN_FLIGHT = 2;
// 2,000 top-level elements (about 1 MB of XML): large enough that per-statement costs vanish, small
// enough that the two batches in flight (one parsed, one stored) stay around 10–20 MB, inside the
// worker's old space (96 MB in docker-compose.yml; raise it for larger batches) (bench/apple-health/REPORT.md, _Memory_). The worker passes
// IMPORT_BATCH_ELEMENTS (same default); this one serves activities built without it.
export const DEFAULT_BATCH_ELEMENTS = 2_000;

export function createImportFileActivities(deps: ImportFileDeps) {
  const { sql } = deps;

  async function importFileSlice(input: ImportSliceInput): Promise<ImportProgress> {
    const context = Context.current();
    const info = context.info;
    const { workflowId, runId } = info.workflowExecution ?? {
      workflowId: info.activityId,
      runId: info.activityId,
    };
    const log = deps.logger.child({ workflowId, provider: input.provider, userId: input.userId });
    const importer = deps.importers[input.provider];
    if (!importer) {
      throw ApplicationFailure.create({
        type: FAILURE_TYPES.invalid_input,
        message: `no file importer for provider ${input.provider}`,
        nonRetryable: true,
      });
    }
    const deadline = Date.now() + (input.sliceSeconds ?? DEFAULT_SLICE_SECONDS) * 1000;
    try {
      await sql`insert into users (id) values (${input.userId}) on conflict do nothing`;
      let row = await openFileImport(sql, {
        runId,
        workflowId,
        provider: input.provider,
        userId: input.userId,
        path: input.path,
      });
      if (row.status !== 'running') return progressOf(row);
      const source = await importer.open(input.path);
      try {
        if (row.xml_bytes === null) {
          await describeFileImportSource(sql, runId, {
            container: source.container,
            xmlName: source.name,
            xmlBytes: source.totalBytes,
          });
          row = { ...row, container: source.container, xml_name: source.name, xml_bytes: source.totalBytes };
        }
        log.info({ fromByte: row.byte_offset, attempt: info.attempt }, 'import slice starts');
        context.heartbeat(progressOf(row));
        // One connection for the slice, so that the batches sent on it commit in order.
        const connection = await sql.reserve();
        const inFlight: Promise<FileImportRow>[] = [];
        let stopped = false;
        const settle = async () => {
          row = await (inFlight.shift() as Promise<FileImportRow>);
          const progress = progressOf(row, false);
          context.heartbeat(progress);
          await deps.afterBatch?.(progress);
        };
        try {
          // Where the next batch starts; each batch's statement checks the stored position still is this.
          let position = row.byte_offset;
          for await (const batch of source.batches(
            row.byte_offset,
            input.batchElements ?? deps.batchElements ?? DEFAULT_BATCH_ELEMENTS,
          )) {
            const stored = storeImportBatch(connection, {
              runId,
              workflowId,
              provider: input.provider,
              userId: input.userId,
              fromByte: position,
              toByte: batch.endByte,
              elements: batch.elements,
              records: batch.records,
              quarantined: batch.quarantined,
              routes: batch.attachments,
            });
            stored.catch(() => {}); // awaited in order by settle()
            inFlight.push(stored);
            position = batch.endByte;
            while (inFlight.length >= IN_FLIGHT) await settle();
            if (Date.now() > deadline || context.cancellationSignal.aborted) {
              stopped = true;
              break;
            }
          }
          while (inFlight.length) await settle();
        } finally {
          // After a failure, what was already sent finishes (or fails) before the connection goes back.
          await Promise.allSettled(inFlight);
          connection.release();
        }
        // The days the batches touched are recomputed once, when the import ends: every slice of an
        // export touches nearly all of its days (it is ordered by type, not by time), and a recompute
        // reads the user's whole history, so one per slice made long imports quadratic.
        if (stopped) return progressOf(row, false);
        // One statement over the user's history: keep heartbeating while it runs, or a long one
        // would time the attempt out and a retry would start beside it.
        const beat = setInterval(() => context.heartbeat(progressOf(row)), 10_000);
        try {
          await refreshDeferredDailyRows(sql, input.userId, input.provider);
        } finally {
          clearInterval(beat);
        }
        await finishFileImport(sql, runId, { status: 'completed' });
        log.info({ records: row.records, inserted: row.inserted }, 'import completed');
        return progressOf(row, true);
      } finally {
        await source.close();
      }
    } catch (error) {
      if (error instanceof ImportPositionMovedError) {
        // Retried: the new attempt resumes from whatever position was committed.
        throw ApplicationFailure.create({ type: 'ImportPositionMoved', message: error.message });
      }
      if (error instanceof BadImportFileError) {
        await finishFileImport(sql, runId, { status: 'failed', error: error.message }).catch(() => {});
        // The batches committed before the bad part stay stored: their days are shown too.
        await refreshDeferredDailyRows(sql, input.userId, input.provider).catch(() => {});
        throw ApplicationFailure.create({
          type: 'BadImportFile',
          message: error.message,
          nonRetryable: true,
        });
      }
      throw toApplicationFailure(error, info.attempt);
    }
  }

  /** The workflow gave up (a non-retryable failure): the ledger must not say `running` forever. */
  async function failFileImport(input: { error: string }): Promise<void> {
    const { runId } = Context.current().info.workflowExecution ?? { runId: '' };
    const [row] = await sql<{ provider: string; user_id: string }[]>`
      update file_imports set status = 'failed', error = coalesce(error, ${input.error}),
        finished_at = now(), updated_at = now()
      where run_id = ${runId} and status = 'running'
      returning provider, user_id`;
    // The batches committed before the failure stay stored: their days are shown too.
    if (row) await refreshDeferredDailyRows(sql, row.user_id, row.provider);
  }

  return { importFileSlice, failFileImport };
}
