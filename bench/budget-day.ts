// `npm run bench:budget-day`: one simulated UTC day of 1,000 users on one app budget with the
// default provider's real limits (100/min, 10,000/day), written to bench/BUDGET-DAY.json and
// bench/BUDGET-DAY.md. Three runs in the same process on the same seeded day:
//   baseline  — the schedule before the plan: every connection every 15 min (all at once, as a bare
//               `every 15m` interval fires), first come first served in the budget;
//   planned   — the project: planner intervals and offsets, webhooks flowing, lanes and the day reserve;
//   polling   — the project without webhooks: freshness comes from the planned polling alone.
// Discrete-event simulation (bench/budget-day-sim.ts): the real planner and lane order, simulated time.
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { planBudget } from '../providers/budget-planner.ts';
import { providerModules } from '../providers/modules.ts';
import { seededRandom } from '../providers/sandbox-kit/prng.ts';
import { budgetDayMarkdown } from './budget-day-report.ts';
import { EventQueue, SimBudget } from './budget-day-sim.ts';

const DAY = 86_400_000;
const USERS = 1000;
const BACKFILL_USERS = 40;
const YEAR_REQUESTS = 78; // 13 windows × 4 kinds × ~1.5 pages (bench/REPORT.md, request efficiency)
const LATENCY_MS = 400;
const WEBHOOK_DELAY_MS = 5_000;
const ON_DEMAND_READS = 300;
const SEED = 17;

const module = providerModules[0];
if (!module) throw new Error('no provider module');
const limits = module.budgetFrom(module.envSchema.parse({}));
const kinds = module.descriptor.kinds;
const perDay = limits.perDay ?? 10_000;

interface DataEvent {
  userId: string;
  kind: string;
  availableAt: number;
  fetchedAt?: number;
}

const userIds = Array.from({ length: USERS }, (_, i) => `u${String(i).padStart(4, '0')}`);

function dayOfData(): { events: DataEvent[]; reads: { at: number; userId: string; kind: string }[] } {
  const random = seededRandom(SEED);
  const events: DataEvent[] = [];
  for (const userId of userIds) {
    // Users live in every time zone: their wake-up (sleep, recovery and a new cycle) is anywhere in the UTC day.
    const wake = random() * DAY;
    for (const kind of kinds.filter((k) => k !== 'workout')) events.push({ userId, kind, availableAt: wake });
    if (random() < 0.6) events.push({ userId, kind: 'workout', availableAt: random() * DAY });
  }
  const reads = Array.from({ length: ON_DEMAND_READS }, () => ({
    at: random() * DAY,
    userId: userIds[Math.floor(random() * USERS)] as string,
    kind: kinds[Math.floor(random() * kinds.length)] as string,
  }));
  return { events, reads };
}

interface Scenario {
  name: string;
  lanes: boolean;
  webhooks: boolean;
  planned: boolean;
}

function run(scenario: Scenario) {
  const { events, reads } = dayOfData();
  const expectedInteractive = (scenario.webhooks ? events.length : 0) + ON_DEMAND_READS;
  const plan = planBudget(
    [
      {
        provider: module?.descriptor.name ?? 'p',
        requestsPerMinute: limits.perMinute,
        requestsPerDay: perDay,
        webhooks: scenario.webhooks,
        interactiveRequestsPerDay: expectedInteractive,
        connections: userIds.map((userId) => ({ userId, requestsPerSync: kinds.length })),
      },
    ],
    { minIntervalMinutes: 15 },
  );
  const providerPlan = plan.providers[0];
  if (!providerPlan) throw new Error('no plan');
  const queue = new EventQueue();
  const budget = new SimBudget(queue, {
    requestsPerMinute: limits.perMinute,
    requestsPerDay: perDay,
    lanes: scenario.lanes,
    reservedPerDay: scenario.planned ? providerPlan.reservedPerDay : 0,
  });
  const pending = new Map<string, DataEvent[]>();
  for (const e of events) {
    const key = `${e.userId}|${e.kind}`;
    pending.set(key, [...(pending.get(key) ?? []), e]);
  }
  // A fetch of (user, kind) granted at `at` stores every record of that kind available by then.
  const fetched = (userId: string, kind: string, at: number) => {
    for (const e of pending.get(`${userId}|${kind}`) ?? []) {
      if (e.fetchedAt === undefined && e.availableAt <= at) e.fetchedAt = at + LATENCY_MS;
    }
  };
  const request = (
    lane: 'interactive' | 'incremental' | 'backfill',
    userId: string,
    then: (at: number) => void,
  ) => budget.acquire({ lane, userId, enqueuedAt: queue.now, onGrant: then });

  // Schedules: skip a run while the previous one of the same connection is still going.
  const running = new Set<string>();
  for (const connection of plan.connections) {
    const interval = (scenario.planned ? connection.intervalMinutes : 15) * 60_000;
    const offset = scenario.planned ? connection.offsetMinutes * 60_000 : 0;
    for (let t = offset; t < DAY; t += interval) {
      queue.at(t, () => {
        if (running.has(connection.userId)) return;
        running.add(connection.userId);
        const next = (i: number) => {
          const kind = kinds[i];
          if (kind === undefined) {
            running.delete(connection.userId);
            return;
          }
          request('incremental', connection.userId, (at) => {
            fetched(connection.userId, kind, at);
            queue.at(at + LATENCY_MS, () => next(i + 1));
          });
        };
        next(0);
      });
    }
  }
  if (scenario.webhooks) {
    for (const e of events) {
      queue.at(e.availableAt + WEBHOOK_DELAY_MS, () =>
        request('interactive', e.userId, (at) => fetched(e.userId, e.kind, at)),
      );
    }
  }
  for (const r of reads)
    queue.at(r.at, () => request('interactive', r.userId, (at) => fetched(r.userId, r.kind, at)));

  // Backfills of the users connected at midnight: the first one five years, the others one.
  const backfill = new Map<string, { total: number; done: number; issued: number; finishedAt?: number }>();
  for (const [i, userId] of userIds.slice(0, BACKFILL_USERS).entries()) {
    const total = (i === 0 ? 5 : 1) * YEAR_REQUESTS;
    const state = { total, done: 0, issued: 0 } as {
      total: number;
      done: number;
      issued: number;
      finishedAt?: number;
    };
    backfill.set(userId, state);
    const chain = () => {
      if (state.issued >= state.total) return;
      state.issued++;
      request('backfill', userId, (at) => {
        queue.at(at + LATENCY_MS, () => {
          state.done++;
          if (state.done === state.total) state.finishedAt = at + LATENCY_MS;
          chain();
        });
      });
    };
    // Four windows in flight per backfill (workflows/backfill.ts, parallelism 4).
    for (let c = 0; c < 4; c++) chain();
  }
  queue.runUntil(DAY);
  return summarize(scenario, providerPlan, budget, events, backfill);
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
const minutes = (ms: number) => Math.round((ms / 60_000) * 10) / 10;

function summarize(
  scenario: Scenario,
  plan: ReturnType<typeof planBudget>['providers'][number],
  budget: SimBudget,
  events: DataEvent[],
  backfill: Map<string, { total: number; done: number; finishedAt?: number }>,
) {
  const lagOf = (e: DataEvent) => (e.fetchedAt ?? DAY) - e.availableAt;
  const byUser = new Map<string, number[]>();
  for (const e of events) byUser.set(e.userId, [...(byUser.get(e.userId) ?? []), lagOf(e)]);
  const userMax = [...byUser.values()].map((l) => Math.max(...l));
  const userMean = [...byUser.values()].map((l) => l.reduce((a, b) => a + b, 0) / l.length);
  const oneYear = [...backfill.entries()].filter(([, s]) => s.total === YEAR_REQUESTS).map(([, s]) => s);
  const finished = oneYear.filter((s) => s.finishedAt !== undefined).map((s) => s.finishedAt as number);
  const fiveYear = [...backfill.values()].find((s) => s.total > YEAR_REQUESTS);
  const waits = budget.stats.waitsMs;
  return {
    scenario: scenario.name,
    plan: scenario.planned
      ? {
          intervalMinutes: plan.intervalMinutes,
          syncRequestsPerDay: plan.syncRequestsPerDay,
          interactiveReservePerDay: plan.interactiveReservePerDay,
          reservedPerDay: plan.reservedPerDay,
          fits: plan.fits,
        }
      : { intervalMinutes: 15, offsets: 'none' },
    requestsCountedToday: budget.stats.countedToday,
    dayBudget: perDay,
    dayBudgetExceeded: budget.stats.countedToday > perDay,
    daySpentAtHours:
      budget.stats.daySpentAt === undefined
        ? null
        : Math.round((budget.stats.daySpentAt / 3_600_000) * 10) / 10,
    refusedForTheDay: budget.stats.refusedForDay,
    simulated429: budget.stats.rejected429,
    syncOrInteractiveWaitedBehindBackfill: budget.stats.waitedBehindBackfill,
    waitMinutes: Object.fromEntries(
      (['interactive', 'incremental', 'backfill'] as const).map((lane) => [
        lane,
        {
          granted: waits[lane].length,
          p50: minutes(pct(waits[lane], 50)),
          p95: minutes(pct(waits[lane], 95)),
          max: minutes(pct(waits[lane], 100)),
        },
      ]),
    ),
    freshness: {
      events: events.length,
      unfetchedAtMidnight: events.filter((e) => e.fetchedAt === undefined).length,
      perEventLagMinutes: {
        p50: minutes(pct(events.map(lagOf), 50)),
        p95: minutes(pct(events.map(lagOf), 95)),
      },
      perUserMeanLagMinutes: { p50: minutes(pct(userMean, 50)), p95: minutes(pct(userMean, 95)) },
      perUserMaxLagMinutes: { p50: minutes(pct(userMax, 50)), p95: minutes(pct(userMax, 95)) },
    },
    backfills: {
      oneYearUsers: oneYear.length,
      oneYearFinished: finished.length,
      oneYearFinishedAtHours: finished.length
        ? {
            first: Math.round((Math.min(...finished) / 3_600_000) * 10) / 10,
            p50: Math.round((pct(finished, 50) / 3_600_000) * 10) / 10,
            last: Math.round((Math.max(...finished) / 3_600_000) * 10) / 10,
          }
        : null,
      oneYearDoneShare: {
        min: Math.min(...oneYear.map((s) => s.done / s.total)),
        max: Math.max(...oneYear.map((s) => s.done / s.total)),
      },
      fiveYearDoneShare: fiveYear ? Math.round((fiveYear.done / fiveYear.total) * 1000) / 1000 : null,
    },
  };
}

const commit = (() => {
  try {
    const head = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain', { encoding: 'utf8' }).trim() !== '';
    return { commit: head, dirty };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
})();

const results = [
  run({ name: 'baseline', lanes: false, webhooks: true, planned: false }),
  run({ name: 'planned', lanes: true, webhooks: true, planned: true }),
  run({ name: 'polling', lanes: true, webhooks: false, planned: true }),
];
const report = {
  ...commit,
  method:
    'discrete-event simulation, simulated time (bench/budget-day-sim.ts): the real planner and lane order',
  users: USERS,
  backfillUsers: BACKFILL_USERS,
  limits: { perMinute: limits.perMinute, perDay },
  results,
};
const out = (name: string) => fileURLToPath(new URL(name, import.meta.url));
writeFileSync(out('BUDGET-DAY.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(out('BUDGET-DAY.md'), budgetDayMarkdown(report as Parameters<typeof budgetDayMarkdown>[0]));
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
