// One window of one kind: page through the provider, store each page, heartbeat the cursor after
// every stored page (a retry resumes there, DESIGN.md decision 2), then, in one transaction,
// soft-delete what vanished from the span, record coverage and advance the watermark.
import { Context } from '@temporalio/activity';
import { ProviderError } from '../providers/errors.ts';
import type { ProviderApi, RequestStats } from '../providers/types.ts';
import { advanceWatermark, recordCoverage } from '../store/coverage.ts';
import type { Sql } from '../store/db.ts';
import { quarantineRecords, softDeleteUnseen, upsertRecords } from '../store/records.ts';
import { closeRun, openRun, updateRunCounts } from '../store/runs.ts';
import type { Logger } from '../worker/logger.ts';
import { addCounts, emptyCounts, type RunCounts } from './counts.ts';
import { messageOf, toApplicationFailure } from './failures.ts';
import type { ActivityMetrics } from './index.ts';
import { windowLogFields } from './log-fields.ts';
import type { TokenManager } from './tokens.ts';
import type { SyncWindowInput, WindowResult } from './types.ts';

/** Heartbeat details: everything a retried attempt needs to continue where the last one stopped. */
interface WindowProgress {
  cursor?: string;
  done: boolean;
  seen: string[];
  counts: RunCounts;
}

export interface SyncWindowDeps {
  sql: Sql;
  providers: ReadonlyMap<string, ProviderApi>;
  tokens: TokenManager;
  logger: Logger;
  metrics?: ActivityMetrics;
}

export function createSyncWindow(deps: SyncWindowDeps) {
  return async function syncWindow(input: SyncWindowInput): Promise<WindowResult> {
    const context = Context.current();
    const { info } = context;
    const provider = deps.providers.get(input.provider);
    if (!provider)
      throw toApplicationFailure(new ProviderError(`unknown provider ${input.provider}`, 'invalid_input'));
    const { kind } = input.window;
    const start = new Date(input.window.start);
    const end = new Date(input.window.end);
    const resumed = info.heartbeatDetails as WindowProgress | undefined;
    const progress: WindowProgress = resumed ?? { done: false, seen: [], counts: emptyCounts() };
    const seen = new Set(progress.seen);
    const attempt = emptyCounts();
    const stats: RequestStats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
    const workflowId = info.workflowExecution?.workflowId ?? 'standalone';
    const workflowRunId = info.workflowExecution?.runId ?? 'standalone';
    const log = deps.logger.child({
      workflowId,
      runId: workflowRunId,
      activity: info.activityType,
      attempt: info.attempt,
      ...windowLogFields(input),
    });
    // Metrics see exactly the counts the ledger row gets, when it gets them.
    const counted = (counts: Partial<RunCounts>) => {
      addCounts(attempt, counts);
      deps.metrics?.counts({ provider: input.provider, kind, counts });
    };
    // Classified like every other failure: a database outage here is DatabaseUnavailable, retried.
    const runRow = await openRun(deps.sql, {
      workflowId,
      runId: workflowRunId,
      workflowType: info.workflowType ?? 'standalone',
      activity: info.activityType,
      attempt: info.attempt,
      provider: input.provider,
      userId: input.userId,
      kind,
      windowStart: start,
      windowEnd: end,
    }).catch((error: unknown) => {
      throw toApplicationFailure(error, info.attempt);
    });
    // Request counters since the last call: added to the page they were spent on.
    const taken: RequestStats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
    const peekRequestStats = () => ({
      apiCalls: stats.apiCalls - taken.apiCalls,
      rateLimited: stats.rateLimited - taken.rateLimited,
      throttleWaitMs: stats.throttleWaitMs - taken.throttleWaitMs,
    });
    const takeRequestStats = () => {
      const delta = peekRequestStats();
      Object.assign(taken, stats);
      return delta;
    };
    const snapshot = (): WindowProgress => ({ ...progress, seen: [...seen] });
    // Heartbeat while waiting on the throttle too, so a long wait is not mistaken for a dead worker.
    const keepAliveMs = Math.min(5_000, Math.max(500, (info.heartbeatTimeoutMs ?? 60_000) / 3));
    const keepAlive = setInterval(() => context.heartbeat(snapshot()), keepAliveMs);
    if (resumed)
      log.info({ cursor: Boolean(resumed.cursor), pagesBefore: resumed.counts.pages }, 'resuming window');
    try {
      while (!progress.done) {
        // Per page: a token that lives less than a window lasts is refreshed ahead of its expiry
        // (one read of the connection row; the refresh itself is shared, activities/tokens.ts).
        let token = await deps.tokens.accessToken(provider, input.userId, stats);
        const request = { kind, start, end, cursor: progress.cursor };
        let page: Awaited<ReturnType<ProviderApi['fetchPage']>>;
        try {
          page = await provider.fetchPage(token.value, request, stats);
        } catch (error) {
          if (!(error instanceof ProviderError && error.errorClass === 'unauthorized')) throw error;
          // 401: refresh once and retry the page; a second 401 means the grant is gone.
          token = await deps.tokens.refreshAfterUnauthorized(provider, input.userId, token, stats);
          page = await provider.fetchPage(token.value, request, stats).catch((retryError: unknown) => {
            if (retryError instanceof ProviderError && retryError.errorClass === 'unauthorized') {
              throw new ProviderError(`reauth required: ${retryError.message}`, 'reauth_required', 401);
            }
            throw retryError;
          });
        }
        for (const record of page.records) seen.add(record.sourceId);
        // A record whose latest version failed validation is not gone: never soft-delete it.
        for (const bad of page.quarantined) if (bad.sourceId) seen.add(bad.sourceId);
        const requestCounts = peekRequestStats();
        const pageCounts = await deps.sql.begin(async (tx) => {
          const stored = await upsertRecords(tx, input.provider, input.userId, page.records);
          await quarantineRecords(tx, input.provider, input.userId, page.quarantined, workflowId);
          const counts = {
            pages: 1,
            fetched: page.records.length + page.quarantined.length,
            quarantined: page.quarantined.length,
            ...stored,
            ...requestCounts,
          };
          await updateRunCounts(tx, runRow, addCounts({ ...attempt }, counts));
          return counts;
        });
        // Counted only once the page is committed, so a failed commit is not counted twice on retry.
        takeRequestStats();
        addCounts(progress.counts, pageCounts);
        counted(pageCounts);
        progress.cursor = page.nextCursor;
        progress.done = !page.nextCursor;
        context.heartbeat(snapshot());
      }
      const deleted = await deps.sql.begin(async (tx) => {
        const key = { provider: input.provider, userId: input.userId, kind };
        const count = await softDeleteUnseen(tx, { ...key, start, end }, [...seen]);
        if (input.purpose === 'backfill') {
          await recordCoverage(
            tx,
            key,
            { start, end },
            {
              final: input.window.final,
              records: seen.size,
              workflowId: workflowId,
            },
          );
        }
        await advanceWatermark(tx, key, new Date(Math.min(end.getTime(), Date.now())));
        return count;
      });
      const finalCounts = { deleted, ...takeRequestStats() };
      addCounts(progress.counts, finalCounts);
      counted(finalCounts);
      await closeRun(deps.sql, runRow, { status: 'completed', counts: attempt });
      log.info({ ...attempt }, 'window stored');
      return { kind, ...progress.counts };
    } catch (error) {
      const failure = toApplicationFailure(error, info.attempt);
      counted(takeRequestStats());
      deps.metrics?.failed({ provider: input.provider, kind, errorClass: failure.type ?? 'InternalError' });
      await closeRun(deps.sql, runRow, {
        status: 'failed',
        counts: attempt,
        errorClass: failure.type ?? 'InternalError',
        errorMessage: messageOf(error),
      }).catch((ledgerError: unknown) =>
        log.warn({ err: messageOf(ledgerError) }, 'could not close the run ledger row'),
      );
      log.warn({ errorClass: failure.type, err: messageOf(error), ...attempt }, 'window failed');
      throw failure;
    } finally {
      clearInterval(keepAlive);
    }
  };
}
