// Who gets this process's next request slot, and claiming it from the shared GCRA row
// (docs/architecture.md, "Priorities under one budget"). The waiting acquisitions live in memory:
// one pump per process and provider picks the head by lane and per-user round-robin
// (providers/budget-lanes.ts, pickNext) and claims one slot for it in ONE autocommit statement that
// also counts the day. Nothing per waiter goes to the database: the queue that once did (a row per
// waiter, four round trips a claim) lost acquisitions to a race and throttled the demo.
//
// Across processes only the lane is coordinated, approximately: each process advertises the best
// lane it has waiting (rate_budget_demand, written when that lane changes and renewed every 2 s),
// and a claim is refused while another live process advertises a lower lane, so backfills in one
// worker yield to syncs and interactive fetches in another. Per-user fairness holds within a process;
// processes share the backfill lane by claiming in turn.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type postgres from 'postgres';
import { type Acquisition, type BudgetWaiter, LANE_KEYS, pickNext } from './budget-lanes.ts';

/**
 * How long a process's advertised lane outlives its last renewal; renewed every third of it. A killed
 * worker's row holds back other processes' lower lanes (never its own lane or better) until it expires.
 */
const DEMAND_ALIVE_MS = 6_000;
/** A backfill held back for the day's reserve looks again after this long (the reserve shrinks). */
const RESERVE_RETRY_MS = 60_000;

export interface BudgetQueueOptions {
  provider: string;
  intervalMs: number;
  horizonMs: number;
  requestsPerDay?: number;
  /** Resolves when this process may claim again (a local pause after a 429, a pending pause write). */
  beforeClaim: () => Promise<void>;
  /** Recreates the GCRA row when it is missing. */
  ensureRow: () => Promise<void>;
  /** The day's allowance is spent: pause every caller for `waitMs` (until the next UTC day). */
  onDaySpent: (waitMs: number) => void;
}

interface Waiter extends BudgetWaiter {
  acquisition: Acquisition;
  resolve(waitMs: number): void;
  reject(error: unknown): void;
}

export interface BudgetQueue {
  /** Queues the acquisition; resolves with how long to sleep until its claimed slot (ms). */
  claim(acquisition: Acquisition): Promise<number>;
  /** Acquisitions waiting in this process (for tests and status). */
  waiting(): number;
}

type ClaimResult =
  | { kind: 'granted'; waitMs: number }
  | { kind: 'ahead'; aheadMs: number }
  | { kind: 'yielded' }
  | { kind: 'missing' }
  | { kind: 'reserved' }
  | { kind: 'daySpent'; nextDayMs: number };

export function createBudgetQueue(sql: postgres.Sql, options: BudgetQueueOptions): BudgetQueue {
  const { provider, intervalMs, horizonMs } = options;
  const requestsPerDay = options.requestsPerDay ?? null;
  const owner = randomUUID();
  const waiters: Waiter[] = [];
  const lastGranted = new Map<string, number>();
  let sequence = 0;
  let pumping = false;
  let wake: (() => void) | undefined;
  // Not before the slot this process was last granted: claims stay just in time (a pause the
  // provider's headers ask for reaches the next request), and the next slot is exactly one T later.
  let nextClaimAt = 0;
  let backfillHeldUntil = 0;
  let advertised: number | null = null;
  let advertisedAt = 0;
  let prunedDays = requestsPerDay === null;

  // The lane this process advertises; one write when it changes, a renewal every third of its life.
  const syncDemand = async (lane: number | null) => {
    if (lane === advertised && (lane === null || Date.now() - advertisedAt < DEMAND_ALIVE_MS / 3)) return;
    if (lane === null) {
      await sql`delete from rate_budget_demand where provider = ${provider} and owner = ${owner}`;
    } else {
      await sql`insert into rate_budget_demand (provider, owner, lane, alive_until)
                values (${provider}, ${owner}, ${lane},
                        clock_timestamp() + ${DEMAND_ALIVE_MS}::float8 * interval '1 millisecond')
                on conflict (provider, owner) do update
                  set lane = excluded.lane, alive_until = excluded.alive_until`;
    }
    advertised = lane;
    advertisedAt = Date.now();
  };

  // One round trip: refuse when another live process waits in a lower lane; otherwise take the next
  // slot if it is within the horizon, and count it against the day (a backfill only below the
  // limit minus the plan's reserve for the rest of the day: sql/086_budget_plan.sql). A slot whose
  // day count is refused is given up, not returned: at most one per refusal.
  const claimSlot = async (lane: number): Promise<ClaimResult> => {
    if (!prunedDays) {
      prunedDays = true;
      await sql`delete from rate_budget_daily where provider = ${provider} and day < current_date - 7`;
    }
    const backfill = lane === LANE_KEYS.backfill;
    const [row] = await sql<
      {
        wait_ms: number | null;
        ahead_ms: number | null;
        yielded: boolean;
        day_granted: boolean;
        day_spent: boolean;
        next_day_ms: number;
      }[]
    >`
      with c as (
        select clock_timestamp() as now, (clock_timestamp() at time zone 'UTC')::date as day
      ),
      blocked as (
        select exists (
          select 1 from rate_budget_demand d, c
           where d.provider = ${provider} and d.owner <> ${owner} and d.lane < ${lane}::int
             and d.alive_until > c.now) as yes
      ),
      claimed as (
        update rate_budget b
           set tat = greatest(b.tat, c.now) + ${intervalMs}::float8 * interval '1 millisecond'
          from c, blocked
         where b.provider = ${provider} and not blocked.yes
           and b.tat <= c.now + ${horizonMs}::float8 * interval '1 millisecond'
        returning b.tat, c.now, c.day
      ),
      l as (
        select claimed.day, ${requestsPerDay}::int - case when ${backfill}::boolean then coalesce((
                 select ceil(p.reserved_per_day * greatest(1 / 24.0,
                             extract(epoch from ((claimed.day + 1)::timestamp at time zone 'UTC') - claimed.now)
                             / 86400.0))::int
                   from budget_plan_providers p where p.provider = ${provider}), 0) else 0 end as day_limit
          from claimed where ${requestsPerDay}::int is not null
      ),
      counted as (
        insert into rate_budget_daily as b (provider, day, requests)
        select ${provider}, l.day, 1 from l where l.day_limit >= 1
        on conflict (provider, day) do update set requests = b.requests + 1
          where b.requests < (select day_limit from l)
        returning b.requests
      )
      select
        (select (extract(epoch from (tat - now)) * 1000 - ${intervalMs}::float8)::float8 from claimed) as wait_ms,
        (select (extract(epoch from (b.tat - c.now)) * 1000)::float8
           from rate_budget b, c where b.provider = ${provider}) as ahead_ms,
        (select yes from blocked) as yielded,
        ${requestsPerDay}::int is null or exists (select 1 from counted) as day_granted,
        coalesce((select d.requests from rate_budget_daily d, c where d.provider = ${provider} and d.day = c.day), 0)
          >= coalesce(${requestsPerDay}::int, 2147483647) as day_spent,
        (select (extract(epoch from ((c.day + 1)::timestamp at time zone 'UTC') - c.now) * 1000)::float8
           from c) as next_day_ms`;
    if (!row || row.ahead_ms === null) return { kind: 'missing' };
    if (row.yielded) return { kind: 'yielded' };
    if (row.wait_ms === null) return { kind: 'ahead', aheadMs: row.ahead_ms };
    if (row.day_granted) return { kind: 'granted', waitMs: Math.max(0, row.wait_ms) };
    // The statement's reads see the day row as it was before this claim: spent means spent.
    if (backfill && !row.day_spent) return { kind: 'reserved' };
    return { kind: 'daySpent', nextDayMs: row.next_day_ms };
  };

  const eligible = () =>
    backfillHeldUntil > Date.now() ? waiters.filter((w) => w.lane !== 'backfill') : waiters;

  const untilWoken = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const pump = async () => {
    while (waiters.length > 0) {
      await options.beforeClaim();
      // Round-robin reads each waiter's user's latest grant, which changes as grants go out.
      for (const w of waiters)
        w.userLastGrantedAt = w.userId === null ? null : (lastGranted.get(w.userId) ?? null);
      const head = pickNext(eligible());
      const best = pickNext(waiters);
      await syncDemand(best ? LANE_KEYS[best.lane] : null);
      if (!head) {
        // Only backfills wait, held back for the day's reserve: until then, or a new arrival.
        await untilWoken(backfillHeldUntil - Date.now());
        continue;
      }
      if (nextClaimAt > Date.now()) {
        await sleep(nextClaimAt - Date.now());
        continue; // someone in a better lane may have arrived meanwhile
      }
      const result = await claimSlot(LANE_KEYS[head.lane]);
      switch (result.kind) {
        case 'granted': {
          waiters.splice(waiters.indexOf(head), 1);
          if (head.lane === 'backfill' && head.userId !== null) lastGranted.set(head.userId, Date.now());
          nextClaimAt = Date.now() + result.waitMs;
          head.resolve(result.waitMs);
          break;
        }
        case 'ahead':
          await sleep(Math.max(1, Math.min(intervalMs, result.aheadMs - horizonMs)));
          break;
        case 'yielded':
          await sleep(Math.max(5, Math.min(intervalMs, 250)));
          break;
        case 'missing':
          await options.ensureRow();
          break;
        case 'reserved':
          backfillHeldUntil = Date.now() + RESERVE_RETRY_MS;
          break;
        case 'daySpent':
          options.onDaySpent(Math.max(1_000, result.nextDayMs));
          break;
      }
    }
    // A lower lane left advertised would hold other processes' backfills back until it expired; a
    // backfill row holds nobody back and simply expires (no write per drained queue).
    if (advertised !== null && advertised < LANE_KEYS.backfill) await syncDemand(null);
  };

  const startPump = () => {
    if (pumping) return;
    pumping = true;
    pump()
      .catch(async (error: unknown) => {
        // Postgres is away (or refused the statement): fail every waiter here; callers retry.
        for (const waiter of waiters.splice(0)) waiter.reject(error);
        const hadRow = advertised !== null;
        advertised = null;
        // Best effort (Postgres may still be away): the row expires by itself otherwise.
        if (hadRow) await sql`delete from rate_budget_demand where owner = ${owner}`.catch(() => {});
      })
      .finally(() => {
        pumping = false;
        // An acquisition queued while the pump was finishing.
        if (waiters.length > 0) startPump();
      });
  };

  return {
    claim(acquisition) {
      const userId = acquisition.userId ?? null;
      return new Promise<number>((resolve, reject) => {
        waiters.push({
          id: `${owner}:${++sequence}`,
          lane: acquisition.lane,
          userId,
          enqueuedAt: Date.now(),
          userLastGrantedAt: userId === null ? null : (lastGranted.get(userId) ?? null),
          acquisition,
          resolve,
          reject,
        });
        wake?.();
        startPump();
      });
    },
    waiting: () => waiters.length,
  };
}
