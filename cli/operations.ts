// Operations the CLI, the demo and the tests share: connect a user, start a backfill or a sync.
import { type Client, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import { descriptorOf } from '../providers/catalog.ts';
import { InvalidInputError } from '../providers/errors.ts';
import type { ConnectionGrant } from '../providers/types.ts';
import { readConnectionPlan } from '../store/budget-plan.ts';
import { saveConnection, saveTokens } from '../store/connections.ts';
import type { TokenCipher } from '../store/crypto.ts';
import type { Sql } from '../store/db.ts';
import { recomputeBudgetPlan } from '../worker/budget-plan.ts';
import type { Config } from '../worker/config.ts';
import { ensureSyncSchedule } from '../worker/schedules.ts';
import type { AddRangeInput } from '../workflows/backfill.ts';
import type { BackfillInput } from '../workflows/inputs.ts';
import { parseBackfillInput, parseConnectionInput, parseSyncInput } from '../workflows/inputs.ts';
import { priorityFor } from '../workflows/priorities.ts';
import { WEARHOUSE_PROVIDER, WEARHOUSE_USER } from '../workflows/search-attributes.ts';

const DAY_MS = 86_400_000;

export const backfillWorkflowId = (provider: string, userId: string) => `backfill:${provider}:${userId}`;

/**
 * Starts the connection's backfill, or, when one is running, adds the range to it (signal-with-start
 * with `addRange`): a second request is merged, never dropped.
 */
export function startBackfill(
  client: Client,
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>,
  input: BackfillInput,
) {
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
    priority: priorityFor('backfill', range.userId),
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
    priority: priorityFor('incremental', userId),
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

export interface ConnectDeps {
  sql: Sql;
  client: Client;
  cipher: TokenCipher;
  config: Config;
}

/** An OAuth connection from a token pair: see connectUser. */
export function connectWithTokens(deps: ConnectDeps, options: ConnectOptions) {
  const { accessToken, refreshToken, expiresInSeconds } = options;
  return connectUser(deps, {
    provider: options.provider,
    userId: options.userId,
    grant: { type: 'oauth', accessToken, refreshToken, expiresInSeconds },
    initialBackfillDays: options.initialBackfillDays,
  });
}

/**
 * Stores the connection by its grant (tokens encrypted; an API-key provider's user id), then for
 * pull providers creates or updates the sync schedule and starts the initial backfill.
 */
export async function connectUser(
  deps: ConnectDeps,
  options: { provider: string; userId: string; grant: ConnectionGrant; initialBackfillDays: number },
) {
  const { userId, provider } = parseConnectionInput({ userId: options.userId, provider: options.provider });
  const descriptor = descriptorOf(provider);
  const { grant } = options;
  if (!descriptor || grant.type !== descriptor.auth) {
    throw new InvalidInputError(
      `${provider} connects with ${descriptor?.auth ?? 'nothing'}, not ${grant.type}`,
    );
  }
  await storeGrant(deps, provider, userId, grant);
  if (descriptor.mode !== 'pull') return { schedule: undefined, backfill: undefined };
  // The new connection joins the budget plan: its own interval and offset, and the others' intervals
  // stretch when the day budget needs it (docs/architecture.md, "The budget plan").
  await recomputeBudgetPlan(deps);
  const planned = await readConnectionPlan(deps.sql, provider, userId);
  const schedule = await ensureSyncSchedule(deps.client, {
    provider,
    userId,
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    intervalMinutes: planned?.intervalMinutes ?? deps.config.SYNC_INTERVAL_MINUTES,
    offsetMinutes: planned?.offsetMinutes ?? 0,
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

async function storeGrant(deps: ConnectDeps, provider: string, userId: string, grant: ConnectionGrant) {
  if (grant.type === 'oauth') {
    await saveTokens(deps.sql, deps.cipher, provider, userId, {
      accessToken: grant.accessToken,
      refreshToken: grant.refreshToken,
      expiresAt: new Date(Date.now() + grant.expiresInSeconds * 1000),
    });
    return;
  }
  const externalUserId = grant.type === 'api_key' ? grant.externalUserId : null;
  try {
    await saveConnection(deps.sql, provider, userId, externalUserId);
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new InvalidInputError(
        `that ${provider} user id is already connected to another user; one ${provider} user maps to one wearhouse user`,
      );
    }
    throw error;
  }
}
