// The run ledger of one syncWindow attempt (a sync_runs row): opened when the attempt starts, its
// counts kept as pages are stored, closed completed or failed with the error class.
import type { Sql } from '../store/db.ts';
import { closeRun, openRun } from '../store/runs.ts';
import { addCounts, emptyCounts, type RunCounts } from './counts.ts';
import { messageOf, toApplicationFailure } from './failures.ts';
import type { ActivityMetrics } from './metrics.ts';
import type { ActivityLogger, SyncWindowInput } from './types.ts';

export interface AttemptInfo {
  workflowId: string;
  runId: string;
  workflowType: string;
  activity: string;
  attempt: number;
}

export interface WindowLedger {
  readonly runRow: number;
  /** What this attempt has counted so far (the ledger row's counts). */
  readonly attempt: RunCounts;
  /** Adds counts to the attempt and reports them to metrics, exactly when the ledger gets them. */
  count(counts: Partial<RunCounts>): void;
  completed(): Promise<void>;
  /** Closes the row as failed (best effort: a ledger failure is logged, never hides the original error). */
  failed(errorClass: string, error: unknown, log: ActivityLogger): Promise<void>;
}

export async function openWindowLedger(
  sql: Sql,
  info: AttemptInfo,
  input: SyncWindowInput,
  metrics?: ActivityMetrics,
): Promise<WindowLedger> {
  const { kind } = input.window;
  // Classified like every other failure: a database outage here is DatabaseUnavailable, retried.
  const runRow = await openRun(sql, {
    ...info,
    provider: input.provider,
    userId: input.userId,
    kind,
    windowStart: new Date(input.window.start),
    windowEnd: new Date(input.window.end),
  }).catch((error: unknown) => {
    throw toApplicationFailure(error, info.attempt);
  });
  const attempt = emptyCounts();
  return {
    runRow,
    attempt,
    count(counts) {
      addCounts(attempt, counts);
      metrics?.counts({ provider: input.provider, kind, counts });
    },
    completed: () => closeRun(sql, runRow, { status: 'completed', counts: attempt }),
    async failed(errorClass, error, log) {
      metrics?.failed({ provider: input.provider, kind, errorClass });
      await closeRun(sql, runRow, {
        status: 'failed',
        counts: attempt,
        errorClass,
        errorMessage: messageOf(error),
      }).catch((ledgerError: unknown) =>
        log.warn({ err: messageOf(ledgerError) }, 'could not close the run ledger row'),
      );
    },
  };
}
