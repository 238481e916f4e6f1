// Starting Temporal work for what `serve` committed: normalization of push batches, and the fetches
// and backfills webhooks ask for. Always after the commit, never inside a transaction; a start that fails (Temporal
// down, serve killed) is not lost: the sweeper finds the committed rows still pending and starts
// them again, and stable workflow ids make a second start a no-op.
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { startBackfill } from '../cli/operations.ts';
import type { Sql } from '../store/db.ts';
import { pendingBatchIds } from '../store/ingest-batches.ts';
import { pruneLogins } from '../store/oauth-states.ts';
import { markDispatched, type StoredAction, undispatchedEvents } from '../store/webhook-events.ts';
import type { Logger } from '../worker/logger.ts';
import { normalizeWorkflowId } from '../workflows/normalize-ingest-batch.ts';
import { WEARHOUSE_PROVIDER, WEARHOUSE_USER } from '../workflows/search-attributes.ts';

/** How long a committed row may wait for its own start before the sweeper steps in. */
const GRACE_SECONDS = 30;

export interface Dispatcher {
  /** Starts (or finds running) the normalization of a batch; false if Temporal could not be reached. */
  normalize(batchId: string): Promise<boolean>;
  /** Starts the fetches and backfills of a stored webhook event, then marks it dispatched. */
  webhook(eventId: string, provider: string, actions: StoredAction[]): Promise<boolean>;
  /** Re-queues whatever is still pending after the grace period; returns how many were started. */
  sweep(graceSeconds?: number): Promise<{ batches: number; events: number }>;
  startSweeper(intervalMs: number): void;
  stop(): Promise<void>;
}

export const webhookFetchWorkflowId = (provider: string, eventId: string, index: number) =>
  `webhook-fetch:${provider}:${eventId}:${index}`;

export function createDispatcher(deps: {
  sql: Sql;
  client: Client;
  taskQueue: string;
  logger: Logger;
  /** Runs a Temporal call with a deadline (default: as is). */
  call?: <T>(fn: () => Promise<T>) => Promise<T>;
}): Dispatcher {
  const call = deps.call ?? (<T>(fn: () => Promise<T>) => fn());
  const log = deps.logger.child({ component: 'dispatch' });
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> = Promise.resolve();

  async function normalize(batchId: string): Promise<boolean> {
    try {
      await call(() =>
        deps.client.workflow.start('normalizeIngestBatch', {
          taskQueue: deps.taskQueue,
          workflowId: normalizeWorkflowId(batchId),
          // A running normalization is the one we want; a finished one may run again (replay).
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          args: [{ batchId }],
          staticSummary: `Normalize ingest batch ${batchId}`,
        }),
      );
      return true;
    } catch (error) {
      log.warn({ batchId, err: String(error) }, 'could not start normalization; the sweeper retries');
      return false;
    }
  }

  async function webhook(eventId: string, provider: string, actions: StoredAction[]): Promise<boolean> {
    try {
      for (const [index, action] of actions.entries()) {
        if (action.type === 'backfill') {
          // Into the connection's backfill (signal-with-start): merged with a running one; covered
          // windows cost nothing, so a re-dispatch after a lost mark is harmless.
          await call(() =>
            startBackfill(
              deps.client,
              { TEMPORAL_TASK_QUEUE: deps.taskQueue },
              {
                userId: action.userId,
                provider,
                // Instants: the backfill reads an instant `to` as the exclusive end.
                from: action.start,
                to: action.end,
                kinds: [action.kind],
              },
            ),
          );
          continue;
        }
        if (action.type !== 'fetch') continue;
        await call(() =>
          deps.client.workflow.start('webhookFetch', {
            taskQueue: deps.taskQueue,
            workflowId: webhookFetchWorkflowId(provider, eventId, index),
            // One fetch per event action, ever: a re-dispatch of a finished one is refused.
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            args: [
              { userId: action.userId, provider, kind: action.kind, start: action.start, end: action.end },
            ],
            staticSummary: `Webhook ${provider} ${action.kind} of ${action.userId}`,
            typedSearchAttributes: [
              { key: WEARHOUSE_USER, value: action.userId },
              { key: WEARHOUSE_PROVIDER, value: provider },
            ],
          }),
        ).catch((error: unknown) => {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        });
      }
      await markDispatched(deps.sql, eventId);
      return true;
    } catch (error) {
      log.warn(
        { eventId, provider, err: String(error) },
        'could not dispatch webhook event; the sweeper retries',
      );
      return false;
    }
  }

  async function sweep(graceSeconds = GRACE_SECONDS) {
    let batches = 0;
    let events = 0;
    for (const id of await pendingBatchIds(deps.sql, graceSeconds)) {
      if (await normalize(id)) batches++;
    }
    for (const event of await undispatchedEvents(deps.sql, graceSeconds)) {
      if (await webhook(event.id, event.provider, event.actions)) events++;
    }
    await pruneLogins(deps.sql);
    if (batches || events) log.info({ batches, events }, 'sweeper re-queued pending work');
    return { batches, events };
  }

  return {
    normalize,
    webhook,
    sweep,
    startSweeper(intervalMs) {
      const run = () => {
        sweeping = sweep(GRACE_SECONDS).catch((error: unknown) =>
          log.warn({ err: String(error) }, 'sweep failed'),
        );
      };
      run();
      timer = setInterval(run, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await sweeping;
    },
  };
}
