// Runs every activity inside its request-budget lane (providers/budget-lanes.ts), so the provider
// client's budget.acquire() claims in the right lane without being told (docs/architecture.md,
// "Priorities under one budget"). The lane is, in order:
//   1. the activity's Temporal priority key, when one was set (1 interactive, 2 incremental,
//      3–5 backfill): the read API starts its targeted fetches with priorityKey 1, schedules and
//      `wearhouse sync` use 2, backfills 3 (workflows/priorities.ts); activities inherit their
//      workflow's key;
//   2. interactive for the workflow types that answer someone waiting (webhook fetches);
//   3. the activity input's `purpose`: 'read' (the read API's missing days) → interactive,
//      'backfill' → backfill, anything else → incremental.
// Backfills are fair per user, so the acquisition also carries the input's `userId`.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { type Acquisition, type BudgetLane, inLane, laneOfPriorityKey } from '../providers/budget-lanes.ts';

const INTERACTIVE_WORKFLOW_TYPES: ReadonlySet<string> = new Set(['webhookFetch']);

export function acquisitionOf(
  input: unknown,
  info: { workflowType?: string; priority?: { priorityKey?: number } },
): Acquisition {
  const { purpose, userId } = (typeof input === 'object' && input !== null ? input : {}) as {
    purpose?: unknown;
    userId?: unknown;
  };
  const lane: BudgetLane =
    laneOfPriorityKey(info.priority?.priorityKey) ??
    ((info.workflowType && INTERACTIVE_WORKFLOW_TYPES.has(info.workflowType)) || purpose === 'read'
      ? 'interactive'
      : purpose === 'backfill'
        ? 'backfill'
        : 'incremental');
  return typeof userId === 'string' ? { lane, userId } : { lane };
}

export const activityBudgetLane: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    execute(input, next) {
      return inLane(acquisitionOf(input.args[0], ctx.info), () => next(input));
    },
  },
});
