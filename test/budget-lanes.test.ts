// Priority lanes in the shared budget, against real Postgres with two connection pools (two worker
// processes) contending for one provider (docs/architecture.md, "Priorities under one budget"):
// a lower lane is served first whichever process asks, backfills are round-robin over users, and
// backfills never count into the share of the day the plan reserves for syncs.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BudgetLane } from '../providers/budget-lanes.ts';
import { inLane } from '../providers/budget-lanes.ts';
import { createSharedBudget, type RateBudget } from '../providers/rate-budget.ts';
import { connect, type Sql } from '../store/db.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

interface Grant {
  lane: BudgetLane;
  userId: string;
}

describe('budget lanes across two workers', () => {
  let db: TestDatabase;
  let workerA: Sql;
  let workerB: Sql;

  beforeAll(async () => {
    db = await createTestDatabase();
    workerA = connect(db.url, { max: 3, applicationName: 'worker-a' });
    workerB = connect(db.url, { max: 3, applicationName: 'worker-b' });
  });

  afterAll(async () => {
    await workerA?.end();
    await workerB?.end();
    await db?.close();
  });

  /** Starts `count` acquisitions in one lane for one user; each pushes to `grants` when granted. */
  function start(budget: RateBudget, grants: Grant[], lane: BudgetLane, userId: string, count: number) {
    return Promise.all(
      Array.from({ length: count }, () =>
        // The lane travels the way it does in a worker: in the async context, not as an argument.
        inLane({ lane, userId }, () => budget.acquire()).then(() => {
          grants.push({ lane, userId });
        }),
      ),
    );
  }

  /** The best lane each live process advertises as waiting for `provider` (sql/087). */
  const advertised = async (provider: string) => {
    const rows = await db.sql<{ lane: number }[]>`
      select lane from rate_budget_demand where provider = ${provider} and alive_until > clock_timestamp()
       order by lane`;
    return rows.map((r) => r.lane);
  };

  it('serves interactive before incremental before backfill, across processes', async () => {
    const rpm = 1200; // 50 ms a slot
    const a = createSharedBudget(workerA, 'lanes', rpm);
    const b = createSharedBudget(workerB, 'lanes', rpm);
    const grants: Grant[] = [];
    const backfills = start(a, grants, 'backfill', 'big', 40);
    await vi.waitFor(async () => expect(await advertised('lanes')).toEqual([3]), { interval: 10 });
    expect(a.waiting()).toBeGreaterThan(30);
    const grantedBefore = grants.length;
    const interactive = start(b, grants, 'interactive', 'reader', 3);
    // The interactive ones are queued, and advertised to the other process, before the incremental
    // ones arrive.
    await vi.waitFor(async () => expect(await advertised('lanes')).toEqual([1, 3]), { interval: 5 });
    expect(b.waiting() + grants.filter((g) => g.lane === 'interactive').length).toBe(3);
    const incremental = start(b, grants, 'incremental', 'syncer', 5);
    const incrementalA = start(a, grants, 'incremental', 'syncer-a', 3);
    await Promise.all([interactive, incremental, incrementalA]);
    await backfills;

    const after = grants.slice(grantedBefore);
    const lastInteractive = after.map((g) => g.lane).lastIndexOf('interactive');
    const firstIncremental = after.findIndex((g) => g.lane === 'incremental');
    const lastIncremental = after.map((g) => g.lane).lastIndexOf('incremental');
    // The backfill slots claimed before the others queued (the claim horizon: 250 ms = 5 slots, and
    // one in flight) are the only ones that may go out ahead of them; FIFO would let ~30 through.
    const backfillsAhead = after.slice(0, lastIncremental).filter((g) => g.lane === 'backfill').length;
    expect(backfillsAhead).toBeLessThanOrEqual(7);
    expect(lastInteractive).toBeLessThan(firstIncremental);
    expect(after.filter((g) => g.lane === 'incremental')).toHaveLength(8);
    expect(grants).toHaveLength(51);
    expect(a.waiting() + b.waiting()).toBe(0);
    // Nothing better than a backfill is left advertised to hold other processes back.
    expect(await advertised('lanes')).not.toContain(1);
    expect(await advertised('lanes')).not.toContain(2);
  });

  it('shares the backfill lane fairly: a big backfill does not starve two small ones', async () => {
    const rpm = 1200;
    const a = createSharedBudget(workerA, 'fair', rpm);
    const b = createSharedBudget(workerB, 'fair', rpm);
    const grants: Grant[] = [];
    const big = start(a, grants, 'backfill', 'big', 45);
    await vi.waitFor(() => expect(a.waiting()).toBeGreaterThan(35), { interval: 10 });
    const grantedBefore = grants.length;
    const small = Promise.all([
      start(b, grants, 'backfill', 'small-1', 5),
      start(a, grants, 'backfill', 'small-2', 5),
    ]);
    await small;
    const during = grants.slice(grantedBefore);
    const bigDuring = during.filter((g) => g.userId === 'big').length;
    // Round-robin over three users: the small ones' ten slots take about fifteen, plus the slots
    // the big one had claimed within the horizon before they queued. FIFO would give it ~35.
    expect(bigDuring).toBeLessThanOrEqual(5 + 6 + 1);
    expect(during.filter((g) => g.userId !== 'big')).toHaveLength(10);
    await big;
    expect(grants.filter((g) => g.userId === 'big')).toHaveLength(45);
  });

  it('keeps backfills out of the share of the day reserved for syncs and interactive fetches', async () => {
    const perDay = 40;
    const reserved = 20;
    await db.sql`insert into budget_plan_providers (provider, requests_per_minute, requests_per_day, webhooks,
                    connections, requests_per_sync, interval_minutes, sync_requests_per_day,
                    interactive_reserve_per_day, reserved_per_day, fits)
                  values ('reserve', 6000, ${perDay}, false, 1, 4, 60, 10, ${reserved - 10}, ${reserved}, true)`;
    const a = createSharedBudget(workerA, 'reserve', 6000, { requestsPerDay: perDay });
    const b = createSharedBudget(workerB, 'reserve', 6000, { requestsPerDay: perDay });
    const [left] = await db.sql<{ share: number }[]>`
      select extract(epoch from (((clock_timestamp() at time zone 'UTC')::date + 1)::timestamp at time zone 'UTC')
        - clock_timestamp()) / 86400.0 as share`;
    const backfillCap = perDay - Math.ceil(reserved * Math.max(1 / 24, left?.share ?? 1));
    const grants: Grant[] = [];
    // These never all finish: the pools close under them at the end of the file.
    start(a, grants, 'backfill', 'big', perDay).catch(() => {});
    start(b, grants, 'backfill', 'other', perDay).catch(() => {});
    await vi.waitFor(() => expect(grants).toHaveLength(backfillCap), { timeout: 10_000, interval: 20 });
    // Held back, not lost: the rest still wait while syncs get the reserved share.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(grants).toHaveLength(backfillCap);
    await start(b, grants, 'incremental', 'syncer', perDay - backfillCap);
    const [row] = await db.sql<{ requests: number }[]>`
      select requests from rate_budget_daily where provider = 'reserve'`;
    expect(row?.requests).toBe(perDay);
    expect(grants.filter((g) => g.lane === 'backfill')).toHaveLength(backfillCap);
  });
});
