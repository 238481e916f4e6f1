// Operations the CLI, the demo and the tests share: connect a user, start a backfill or a sync.
import { type Client, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import { saveTokens } from '../store/connections.ts';
import type { TokenCipher } from '../store/crypto.ts';
import type { Sql } from '../store/db.ts';
import type { Config } from '../worker/config.ts';
import { ensureSyncSchedule } from '../worker/schedules.ts';
import type { AddRangeInput } from '../workflows/backfill.ts';
import type { BackfillInput } from '../workflows/inputs.ts';
import { parseBackfillInput, parseSyncInput } from '../workflows/inputs.ts';
import { WEARHOUSE_PROVIDER, WEARHOUSE_USER } from '../workflows/search-attributes.ts';

const DAY_MS = 86_400_000;

export const backfillWorkflowId = (provider: string, userId: string) => `backfill:${provider}:${userId}`;

/**
 * Starts the connection's backfill, or, when one is running, adds the range to it (signal-with-start
 * with `addRange`): a second request is merged, never dropped.
 */
export function startBackfill(client: Client, config: Config, input: BackfillInput) {
  // Validate here too, so the CLI says what is wrong before anything is started.
  const range = parseBackfillInput(input);
  const added: AddRangeInput = {
    from: input.from,
    to: input.to,
    ...(input.kinds ? { kinds: input.kinds } : {}),
  };
  return client.workflow.signalWithStart('backfill', {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: backfillWorkflowId(range.provider, range.userId),
    // One backfill per connection at a time; a finished one may be started again.
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    args: [input],
    signal: 'addRange',
    signalArgs: [added],
    staticSummary: `Backfill ${range.provider} ${range.kinds.join(', ')} of ${range.userId}, ${range.start.toISOString().slice(0, 10)} to ${range.end.toISOString().slice(0, 10)}`,
    typedSearchAttributes: [
      { key: WEARHOUSE_USER, value: range.userId },
      { key: WEARHOUSE_PROVIDER, value: range.provider },
    ],
  });
}

/** Whether the workflow `workflowId` has a run in progress. */
export async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    const { status } = await client.workflow.getHandle(workflowId).describe();
    return status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

export function startSync(client: Client, config: Config, input: { userId: string; provider: string }) {
  const { userId, provider } = parseSyncInput(input);
  return client.workflow.start('incrementalSync', {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: `sync:${provider}:${userId}:manual-${Date.now()}`,
    args: [{ userId, provider }],
    staticSummary: `Manual incremental ${provider} sync of ${userId}`,
    typedSearchAttributes: [
      { key: WEARHOUSE_USER, value: userId },
      { key: WEARHOUSE_PROVIDER, value: provider },
    ],
  });
}

export interface ConnectOptions {
  provider: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
  expiresInSeconds: number;
  /** Days of history for the initial backfill; 0 for none. */
  initialBackfillDays: number;
}

/** Stores the tokens (encrypted), creates or updates the sync schedule, starts the initial backfill. */
export async function connectWithTokens(
  deps: { sql: Sql; client: Client; cipher: TokenCipher; config: Config },
  options: ConnectOptions,
) {
  const { userId, provider } = parseSyncInput({ userId: options.userId, provider: options.provider });
  await saveTokens(deps.sql, deps.cipher, provider, userId, {
    accessToken: options.accessToken,
    refreshToken: options.refreshToken,
    expiresAt: new Date(Date.now() + options.expiresInSeconds * 1000),
  });
  const schedule = await ensureSyncSchedule(deps.client, {
    provider,
    userId,
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    intervalMinutes: deps.config.SYNC_INTERVAL_MINUTES,
  });
  let backfill: Awaited<ReturnType<typeof startBackfill>> | undefined;
  if (options.initialBackfillDays > 0) {
    const now = new Date();
    backfill = await startBackfill(deps.client, deps.config, {
      userId,
      provider,
      from: new Date(now.getTime() - options.initialBackfillDays * DAY_MS).toISOString().slice(0, 10),
      to: now.toISOString(),
    });
  }
  return { schedule, backfill };
}
