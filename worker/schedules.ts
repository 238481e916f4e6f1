// The per-connection Temporal Schedule `sync:<provider>:<userId>` that runs incrementalSync.
import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
} from '@temporalio/client';
import { priorityFor } from '../workflows/priorities.ts';
import { WEARHOUSE_PROVIDER, WEARHOUSE_USER } from '../workflows/search-attributes.ts';
import type { Logger } from './logger.ts';

export const scheduleId = (provider: string, userId: string) => `sync:${provider}:${userId}`;

export async function ensureSyncSchedule(
  client: Client,
  options: {
    provider: string;
    userId: string;
    taskQueue: string;
    intervalMinutes: number;
    /** Where in the interval the schedule fires (the budget plan spreads connections); default 0. */
    offsetMinutes?: number;
  },
): Promise<'created' | 'updated'> {
  const id = scheduleId(options.provider, options.userId);
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'incrementalSync',
    workflowId: id,
    taskQueue: options.taskQueue,
    args: [{ userId: options.userId, provider: options.provider }],
    staticSummary: `Incremental ${options.provider} sync of ${options.userId}`,
    priority: priorityFor('incremental', options.userId),
    typedSearchAttributes: [
      { key: WEARHOUSE_USER, value: options.userId },
      { key: WEARHOUSE_PROVIDER, value: options.provider },
    ],
  };
  const offset = (options.offsetMinutes ?? 0) % options.intervalMinutes;
  const spec = { intervals: [{ every: `${options.intervalMinutes}m`, offset: `${offset}m` }] };
  const policies = {
    overlap: ScheduleOverlapPolicy.SKIP,
    // After an outage, run one catch-up sync if the outage was shorter than this; never a storm.
    catchupWindow: '1h',
  };
  const note = `Syncs ${options.provider} data of ${options.userId} every ${options.intervalMinutes} min (incrementalSync).`;
  try {
    await client.schedule.create({
      scheduleId: id,
      spec,
      action,
      policies,
      state: { note },
      typedSearchAttributes: action.typedSearchAttributes,
    });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(id).update((previous) => ({
      ...previous,
      spec,
      action,
      policies,
      state: { ...previous.state, paused: false, note },
    }));
    return 'updated';
  }
}

export async function pauseSchedule(
  client: Client,
  provider: string,
  userId: string,
  reason: string,
  logger: Logger,
): Promise<void> {
  try {
    await client.schedule.getHandle(scheduleId(provider, userId)).pause(reason);
    logger.warn({ provider, userId }, 'sync schedule paused: reauth required');
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
  }
}

/**
 * Sets the schedule's interval and offset (from the budget plan, worker/budget-plan.ts), leaving
 * everything else, paused state included, as it is. A connection without a schedule is skipped.
 */
export async function updateScheduleInterval(
  client: Client,
  plan: { provider: string; userId: string; intervalMinutes: number; offsetMinutes: number },
): Promise<void> {
  const offset = plan.offsetMinutes % plan.intervalMinutes;
  try {
    await client.schedule.getHandle(scheduleId(plan.provider, plan.userId)).update((previous) => ({
      ...previous,
      spec: { intervals: [{ every: `${plan.intervalMinutes}m`, offset: `${offset}m` }] },
      state: {
        ...previous.state,
        // A paused schedule's note says why it is paused (reauth needed): keep it.
        note: previous.state.paused
          ? previous.state.note
          : `Syncs ${plan.provider} data of ${plan.userId} every ${plan.intervalMinutes} min (incrementalSync; budget plan).`,
      },
    }));
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
  }
}
