// Temporal task priority for wearhouse's work (docs/architecture.md, "Priorities under one budget").
// Keys 1–5, lower first (the server's default range); the fairness key is the user, so one user's
// backlog of backfill tasks does not hold back another's (server-side fairness, SDK ≥ 1.13 and the
// matching dynamic config: docs/operating.md). The same numbers are the request budget's lanes
// (providers/budget-lanes.ts, LANE_KEYS): a workflow started with a key has activities that inherit
// it, and the worker reads it back to pick the activity's budget lane. Pure: workflows import this.
import type { Priority } from '@temporalio/common';

export const PRIORITY_KEYS = { interactive: 1, incremental: 2, backfill: 3 } as const;

export type PriorityLane = keyof typeof PRIORITY_KEYS;

/** The priority a workflow of `lane` for `userId` is started with. */
export function priorityFor(lane: PriorityLane, userId: string): Priority {
  return { priorityKey: PRIORITY_KEYS[lane], fairnessKey: userId };
}
