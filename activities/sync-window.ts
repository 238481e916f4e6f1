// One window of one kind: page through the provider, store each page, heartbeat the cursor after
// every stored page (a retry resumes there, docs/architecture.md decision 2), then close the window
// (soft-deletes, coverage, watermark). The pieces: fetch-page.ts, store-page.ts, close-window.ts,
// window-ledger.ts; this file only sequences them and keeps the heartbeat.
import { Context } from '@temporalio/activity';
import { ProviderError } from '../providers/errors.ts';
import type { ProviderRuntime } from '../providers/types.ts';
import { markConnection } from '../store/connections.ts';
import type { Sql } from '../store/db.ts';
import { closeWindow } from './close-window.ts';
import { addCounts, emptyCounts, type RunCounts } from './counts.ts';
import type { CredentialSource } from './credentials.ts';
import { messageOf, toApplicationFailure } from './failures.ts';
import { createPageFetcher } from './fetch-page.ts';
import { windowLogFields } from './log-fields.ts';
import type { ActivityMetrics } from './metrics.ts';
import { createRequestMeter } from './request-meter.ts';
import { seenIds, storePage } from './store-page.ts';
import type { ActivityLogger, SyncWindowInput, WindowResult } from './types.ts';
import { openWindowLedger } from './window-ledger.ts';

/** Heartbeat details: everything a retried attempt needs to continue where the last one stopped. */
interface WindowProgress {
  cursor?: string;
  done: boolean;
  seen: string[];
  counts: RunCounts;
}

export interface SyncWindowDeps {
  sql: Sql;
  providers: ReadonlyMap<string, ProviderRuntime>;
  credentials: CredentialSource;
  logger: ActivityLogger;
  metrics?: ActivityMetrics;
  /** The provider refused the user's data (access_denied): pause the connection's schedule. */
  onAccessDenied?: (provider: string, userId: string, reason: string) => Promise<void>;
}

export function createSyncWindow(deps: SyncWindowDeps) {
  return async function syncWindow(input: SyncWindowInput): Promise<WindowResult> {
    const context = Context.current();
    const { info } = context;
    const runtime = deps.providers.get(input.provider);
    if (!runtime)
      throw toApplicationFailure(new ProviderError(`unknown provider ${input.provider}`, 'invalid_input'));
    const { kind } = input.window;
    const span = { start: new Date(input.window.start), end: new Date(input.window.end) };
    const resumed = info.heartbeatDetails as WindowProgress | undefined;
    const progress: WindowProgress = resumed ?? { done: false, seen: [], counts: emptyCounts() };
    const seen = new Set(progress.seen);
    const attemptInfo = {
      workflowId: info.workflowExecution?.workflowId ?? 'standalone',
      runId: info.workflowExecution?.runId ?? 'standalone',
      workflowType: info.workflowType ?? 'standalone',
      activity: info.activityType,
      attempt: info.attempt,
    };
    const log = deps.logger.child({
      workflowId: attemptInfo.workflowId,
      runId: attemptInfo.runId,
      activity: info.activityType,
      attempt: info.attempt,
      ...windowLogFields(input),
    });
    const ledger = await openWindowLedger(deps.sql, attemptInfo, input, deps.metrics);
    const meter = createRequestMeter();
    const snapshot = (): WindowProgress => ({ ...progress, seen: [...seen] });
    // Heartbeat while waiting on the throttle too, so a long wait is not mistaken for a dead worker.
    const keepAliveMs = Math.min(5_000, Math.max(500, (info.heartbeatTimeoutMs ?? 60_000) / 3));
    const keepAlive = setInterval(() => context.heartbeat(snapshot()), keepAliveMs);
    if (resumed)
      log.info({ cursor: Boolean(resumed.cursor), pagesBefore: resumed.counts.pages }, 'resuming window');
    try {
      const pages = createPageFetcher({
        runtime,
        credentials: deps.credentials,
        userId: input.userId,
        stats: meter.stats,
      });
      const target = { ...input, workflowId: attemptInfo.workflowId, runRow: ledger.runRow };
      while (!progress.done) {
        const page = await pages.next({ kind, ...span, cursor: progress.cursor });
        for (const id of seenIds(page)) seen.add(id);
        const pageCounts = await storePage(
          deps.sql,
          { ...target, attemptCounts: ledger.attempt },
          page,
          meter.peek(),
        );
        // Counted only once the page is committed, so a failed commit is not counted twice on retry.
        meter.take();
        addCounts(progress.counts, pageCounts);
        ledger.count(pageCounts);
        progress.cursor = page.nextCursor;
        progress.done = !page.nextCursor;
        context.heartbeat(snapshot());
      }
      const deleted = await closeWindow(deps.sql, input, span, seen, attemptInfo.workflowId);
      const finalCounts = { deleted, ...meter.take() };
      addCounts(progress.counts, finalCounts);
      ledger.count(finalCounts);
      await ledger.completed();
      log.info({ ...ledger.attempt }, 'window stored');
      return { kind, ...progress.counts };
    } catch (error) {
      if (error instanceof ProviderError && error.errorClass === 'access_denied') {
        // Not a revocation (the tokens stay), but no retry helps until the user acts: say why, and stop.
        await markConnection(deps.sql, input.provider, input.userId, 'access_denied', error.message).catch(
          (markError: unknown) => log.warn({ err: messageOf(markError) }, 'could not mark the connection'),
        );
        await deps.onAccessDenied?.(input.provider, input.userId, error.message);
      }
      const failure = toApplicationFailure(error, info.attempt);
      ledger.count(meter.take());
      await ledger.failed(failure.type ?? 'InternalError', error, log);
      log.warn({ errorClass: failure.type, err: messageOf(error), ...ledger.attempt }, 'window failed');
      throw failure;
    } finally {
      clearInterval(keepAlive);
    }
  };
}
