// What one window (or a whole run) fetched and stored. Pure, so workflows can add results up too.

import type { RunCounts } from '../store/runs.ts';

export type { RunCounts };

export const emptyCounts = (): RunCounts => ({
  pages: 0,
  fetched: 0,
  inserted: 0,
  updated: 0,
  unchanged: 0,
  quarantined: 0,
  deleted: 0,
  apiCalls: 0,
  rateLimited: 0,
  throttleWaitMs: 0,
});

export function addCounts(into: RunCounts, from: Partial<RunCounts>): RunCounts {
  for (const key of Object.keys(into) as (keyof RunCounts)[]) into[key] += from[key] ?? 0;
  return into;
}
