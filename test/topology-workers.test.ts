// The deployment topology (docs/operating.md, "Several workers"): three worker processes, one
// Postgres, one Temporal, one app budget. Two users backfill (one a long range) while a third user's
// incremental sync runs: the sync's requests go ahead of the backfills' in the shared budget (its
// lane), whichever worker runs them; no 429 from the sandbox's budget; the work is spread; the
// workflows carry their Temporal priority and fairness keys; the budget plan drives the schedules.
import { afterAll, describe, expect, it } from 'vitest';
import { startBackfill, startSync } from '../cli/operations.ts';
import { slotIntervalMs } from '../providers/rate-budget.ts';
import { scheduleId } from '../worker/schedules.ts';
import { day, expectCompleted, iso } from './support/reliability.ts';
import { startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';
import { spawnWorkerProcess, type WorkerProcess, waitUntil } from './support/worker-process.ts';

// One slot about every 3 s across all workers: the queue is long enough to see the order. The budget
// leaves one slot of room for the timer lateness of three busy processes (providers/rate-budget.ts);
// before it did, a fresh-clone CI run with other suites beside it drew one 429 at this pace.
const RPM = 20;
const SLOT_MS = slotIntervalMs(RPM);
const WORKERS = 3;

let stack: WhoopStack | undefined;
const workers: WorkerProcess[] = [];
afterAll(async () => {
  for (const w of workers) await w.kill('SIGKILL');
  await stack?.close();
});

describe(`${WORKERS} worker processes, one Postgres, one Temporal`, () => {
  it('share one budget, serve incremental syncs before backfills, and spread the work', async () => {
    stack = await startWhoopStack({ worker: false, sandbox: { requestsPerMinute: RPM } });
    const s = stack;
    for (const userId of ['big', 'small', 'syncer']) await s.connectUser(userId);
    // The plan was computed on connect and drives the schedules: interval and offset.
    const [plan] = await s.db.sql<{ connections: number; interval_minutes: number }[]>`
      select connections, interval_minutes from budget_plan_providers where provider = 'whoop'`;
    expect(plan?.connections).toBe(3);
    const schedule = await s.temporal.client.schedule.getHandle(scheduleId('whoop', 'syncer')).describe();
    expect(schedule.spec.intervals?.[0]?.every).toBe(
      plan?.interval_minutes ? plan.interval_minutes * 60_000 : -1,
    );

    for (let i = 0; i < WORKERS; i++) workers.push(spawnWorkerProcess(s.temporal, s.db.url));
    // Each loads the prebuilt bundle, but starts slowly on a busy machine all the same.
    await waitUntil(
      'every worker started',
      async () => workers.every((w) => w.output.join('').includes('worker started')),
      300_000,
    );
    s.sandbox.control.resetStats();
    const backfills = await Promise.all([
      startBackfill(s.temporal.client, s.temporal.config, {
        userId: 'big',
        provider: 'whoop',
        from: iso(day(-250)),
        to: iso(day(-31)),
      }),
      startBackfill(s.temporal.client, s.temporal.config, {
        userId: 'small',
        provider: 'whoop',
        from: iso(day(-120)),
        to: iso(day(-31)),
      }),
    ]);
    // Backfill windows are queued in the budget before the sync starts: at least five windows
    // running (each waits for its slots, one every 3 s) and a worker advertising backfills waiting.
    const backfillsWaiting = async () => {
      const [row] = await s.db.sql<{ windows: number; advertised: number }[]>`
        select (select count(*)::int from sync_runs where workflow_type = 'backfill' and status = 'running') as windows,
               (select count(*)::int from rate_budget_demand
                 where lane = 3 and alive_until > clock_timestamp()) as advertised`;
      return row ?? { windows: 0, advertised: 0 };
    };
    await waitUntil(
      'backfill windows waiting in the budget',
      async () => {
        const { windows, advertised } = await backfillsWaiting();
        return windows >= 5 && advertised >= 1;
      },
      120_000,
    ).catch(async (error: unknown) => {
      console.log(await s.db.sql`select * from rate_budget_demand`);
      console.log(
        await s.db.sql`select workflow_type, status, count(*), sum(api_calls) from sync_runs group by 1, 2`,
      );
      for (const w of workers) console.log(w.output.join('').slice(-3000));
      throw error;
    });
    const sync = await startSync(s.temporal.client, s.temporal.config, {
      userId: 'syncer',
      provider: 'whoop',
    });
    await sync.result();
    // The sync finished while backfill windows were still waiting: it did not queue behind them.
    expect((await backfillsWaiting()).windows).toBeGreaterThan(0);
    const syncWaits = await s.db.sql<{ throttle_wait_ms: number }[]>`
      select throttle_wait_ms from sync_runs
       where workflow_type = 'incrementalSync' and user_id = 'syncer' and status = 'completed'`;
    expect(syncWaits.length).toBeGreaterThan(0);
    // Per window (one request each): each worker holds at most one claimed slot that has not gone
    // out yet (docs/architecture.md, "Priorities under one budget"), so the sync waits at most for
    // those WORKERS slots plus the one in flight, with half a slot of timer slack: 4.5 slots. Behind
    // the backfills' queue (≥ 5 windows waiting) it would be ≥ 5 slots.
    for (const { throttle_wait_ms } of syncWaits) {
      expect(throttle_wait_ms).toBeLessThan((WORKERS + 1.5) * SLOT_MS);
    }

    const results = await Promise.all(backfills.map((h) => h.result()));
    for (const result of results) expectCompleted(result);
    expect(s.sandbox.control.stats().budget429).toBe(0);

    // Temporal priority: backfills at key 3 and fair per user, the sync at key 2.
    const described = await backfills[0]?.describe();
    expect(described?.raw.workflowExecutionInfo?.priority?.priorityKey).toBe(3);
    expect(described?.raw.workflowExecutionInfo?.priority?.fairnessKey).toBe('big');
    expect((await sync.describe()).raw.workflowExecutionInfo?.priority?.priorityKey).toBe(2);

    // The work was spread over the worker processes. Temporal hands tasks to whichever poller asks
    // first and promises no share per worker, so this asks for more than one, not for all three.
    const identities = new Set<string>();
    for (const handle of [...backfills, sync]) {
      for (const event of (await handle.fetchHistory()).events ?? []) {
        const identity = event.activityTaskStartedEventAttributes?.identity;
        if (identity) identities.add(identity);
      }
    }
    expect(identities.size).toBeGreaterThanOrEqual(2);
    expect(identities.size).toBeLessThanOrEqual(WORKERS);
  }, 900_000);
});
