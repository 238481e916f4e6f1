// `importAppleHealth` {"userId","path"}: imports an Apple Health export (export.zip or its XML) the
// worker can read. The file is streamed by `importFileSlice` activities, each continuing from the
// committed position for up to five minutes; between them the `progress` query and the current details
// show records, bytes and an ETA. The workflow completes only once the whole file is stored.
import { ApplicationFailure } from '@temporalio/common';
import {
  CancellationScope,
  defineQuery,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
} from '@temporalio/workflow';
import type { ImportProgress } from '../activities/import-file.ts';
import type { Activities } from '../activities/index.ts';
import { fileImportSourceOf } from '../providers/file-import-sources.ts';
import { InvalidInputError } from './inputs.ts';
import { parseOrFail, retry, tagWorkflow, workflowLog } from './shared.ts';

const PROVIDER = fileImportSourceOf('importAppleHealth').provider;

export interface ImportAppleHealthInput {
  userId: string;
  path: string;
  options?: {
    /** Length of one activity before it reports progress (default 300 s). */
    sliceSeconds?: number;
    /** Top-level elements per committed batch (default IMPORT_BATCH_ELEMENTS, 2,000). */
    batchElements?: number;
    /** How soon a killed worker's slice is retried elsewhere (default 60 s). */
    heartbeatTimeoutSeconds?: number;
  };
}

export interface ImportWorkflowProgress extends ImportProgress {
  userId: string;
  path: string;
  slices: number;
  /** Seconds left at the rate so far; null until something is done. */
  etaSeconds: number | null;
}

export const importProgressQuery = defineQuery<ImportWorkflowProgress | null>('progress');

const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

function parseInput(input: ImportAppleHealthInput): ImportAppleHealthInput {
  if (typeof input !== 'object' || input === null) throw new InvalidInputError('input must be an object');
  if (typeof input.userId !== 'string' || !USER_ID.test(input.userId)) {
    throw new InvalidInputError('userId must be 1-128 of [A-Za-z0-9._@-], starting with a letter or digit');
  }
  if (typeof input.path !== 'string' || input.path.trim() === '') {
    throw new InvalidInputError('path must name the export file (export.zip or its XML) on the worker');
  }
  return input;
}

function describe(p: ImportWorkflowProgress): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  const pct = p.bytesTotal ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 0;
  const eta = p.etaSeconds === null ? '' : `, ETA ${Math.ceil(p.etaSeconds)} s`;
  return (
    `**Apple Health import** for ${p.userId}: ${p.done ? 'done' : `${pct}%`} ` +
    `(${mb(p.bytesDone)} of ${p.bytesTotal === null ? '?' : mb(p.bytesTotal)} MB${eta})\n\n` +
    `${p.records} records read: ${p.inserted} new, ${p.updated} updated, ${p.unchanged} already stored, ` +
    `${p.duplicates} duplicates in the file, ${p.quarantined} quarantined, ${p.routes} routes`
  );
}

export async function importAppleHealth(input: ImportAppleHealthInput): Promise<ImportWorkflowProgress> {
  const { userId, path, options = {} } = parseOrFail(() => parseInput(input));
  tagWorkflow(userId, PROVIDER);
  const log = workflowLog(userId, PROVIDER);
  const { importFileSlice, failFileImport } = proxyActivities<Activities>({
    startToCloseTimeout: '30m',
    heartbeatTimeout: `${options.heartbeatTimeoutSeconds ?? 60}s`,
    retry: { ...retry, nonRetryableErrorTypes: [...(retry.nonRetryableErrorTypes ?? []), 'BadImportFile'] },
  });
  let progress: ImportWorkflowProgress | null = null;
  setHandler(importProgressQuery, () => progress);
  setCurrentDetails(`**Apple Health import** for ${userId}: starting (${path})`);
  const started = Date.now();
  let slices = 0;
  for (;;) {
    let slice: ImportProgress;
    try {
      slice = await importFileSlice({
        provider: PROVIDER,
        userId,
        path,
        sliceSeconds: options.sliceSeconds,
        batchElements: options.batchElements,
      });
    } catch (error) {
      // Also when the workflow is cancelled: the ledger says so and the committed batches' days are
      // recomputed (a cancelled scope would cancel this call too).
      const reason = isCancellation(error) ? 'cancelled' : (error as Error).message;
      await CancellationScope.nonCancellable(() => failFileImport({ error: reason }));
      throw error;
    }
    slices++;
    const elapsed = (Date.now() - started) / 1000;
    const left = slice.bytesTotal === null ? null : slice.bytesTotal - slice.bytesDone;
    progress = {
      ...slice,
      userId,
      path,
      slices,
      etaSeconds: slice.done
        ? 0
        : left === null || slice.bytesDone === 0
          ? null
          : (elapsed * left) / slice.bytesDone,
    };
    setCurrentDetails(describe(progress));
    if (slice.done) break;
    if (slices > 10_000) {
      throw ApplicationFailure.create({
        type: 'InternalError',
        message: 'import made no end',
        nonRetryable: true,
      });
    }
  }
  log.info('Apple Health import completed', { records: progress.records, inserted: progress.inserted });
  return progress;
}
