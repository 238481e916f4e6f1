// Sizes of a full run (the reference figures, ~15 minutes on 2 cores) and of --quick (development).
import type { BudgetOptions } from './budget.ts';
import type { DashboardOptions } from './dashboards.ts';
import type { IngestOptions } from './ingest.ts';
import type { MemoryOptions } from './memory.ts';
import type { OverheadOptions } from './overhead.ts';

export interface Scale {
  ingest: IngestOptions;
  budget: BudgetOptions;
  overhead: OverheadOptions;
  memory: MemoryOptions;
  dashboards: DashboardOptions;
}

const YEAR = 365;

export const FULL: Scale = {
  ingest: { users: 3, repetitions: 3, bulkSize: 5000 },
  // ~85 requests per user-year: 4 users × 4 years ≈ 1,400 requests, two complete minutes at 600/min
  // (and two for the baseline at 540/min).
  budget: { requestsPerMinute: 600, users: 4, fromDay: -(4 * YEAR + 31), toDay: -31 },
  overhead: { fromDay: -(2 * YEAR + 31), toDay: -31, requestsPerMinute: 10_000 },
  memory: { users: 10, fromDay: -5 * YEAR, toDay: 0, requestsPerMinute: 10_000 },
  dashboards: {
    users: 100,
    runs: 20,
    allRuns: 5,
    allBudgetSeconds: 240,
    wideUsers: 1000,
    wideTemplates: 10,
    wideSyncDays: 3,
  },
};

export const QUICK: Scale = {
  ingest: { users: 1, repetitions: 1, bulkSize: 5000 },
  budget: { requestsPerMinute: 600, users: 2, fromDay: -(120 + 31), toDay: -31 },
  overhead: { fromDay: -(90 + 31), toDay: -31, requestsPerMinute: 10_000 },
  memory: { users: 2, fromDay: -YEAR, toDay: 0, requestsPerMinute: 10_000 },
  dashboards: {
    users: 4,
    runs: 5,
    allRuns: 2,
    allBudgetSeconds: 20,
    wideUsers: 20,
    wideTemplates: 2,
    wideSyncDays: 1,
  },
};
