// The cross-process queue in front of the shared GCRA row (providers/rate-budget.ts): who gets the
// next request slot (docs/architecture.md, "Priorities under one budget"). Each waiting acquisition
// is a row in rate_budget_waiters; one pump per process and provider reads the live waiters, picks
// the head with the same rule everywhere (providers/budget-lanes.ts, pickNext), and claims the slot
// only when the head is its own. Every statement is one autocommit round trip: nothing is held
// while anyone waits, and a crashed process's waiters expire with their `alive_until`.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type postgres from 'postgres';
import { type Acquisition, type BudgetWaiter, LANE_KEYS, laneOfKey, pickNext } from './budget-lanes.ts';

/**
 * How long a waiter row outlives its last renewal; renewed every third of it. Short, because a
 * killed worker's rows sit at the head of the queue until they expire, and every other process's
 * requests of that provider wait behind them that long (one renewal every 2 s is a cheap write).
 */
const ALIVE_MS = 6_000;

export interface BudgetQueueOptions {
  provider: string;
  intervalMs: number;
  horizonMs: number;
  /** Resolves when this process may poll again (a local pause after a 429, a pending pause write). */
  beforeClaim: () => Promise<void>;
  /** Recreates the GCRA row when it is missing. */
  ensureRow: () => Promise<void>;
}

interface Pending {
  acquisition: Acquisition;
  resolve(waitMs: number): void;
  reject(error: unknown): void;
}

export interface BudgetQueue {
  /** Queues the acquisition; resolves with how long to sleep until its claimed slot (ms). */
  claim(acquisition: Acquisition): Promise<number>;
}

export function createBudgetQueue(sql: postgres.Sql, options: BudgetQueueOptions): BudgetQueue {
  const { provider, intervalMs, horizonMs } = options;
  const owner = randomUUID();
  const pending = new Map<string, Pending>();
  let sequence = 0;
  let pumping = false;
  let renewedAt = 0;
  let lastClaimAt = 0;

  // Only the waiters still pending here: a row whose acquisition was already rejected (its pump
  // failed while Postgres was away, and so did its clean-up) must expire, not live on at the head.
  const renew = async () => {
    if (Date.now() - renewedAt < ALIVE_MS / 3) return;
    renewedAt = Date.now();
    await sql`update rate_budget_waiters
                 set alive_until = clock_timestamp() + ${ALIVE_MS}::float8 * interval '1 millisecond'
               where owner = ${owner} and id = any(${[...pending.keys()]}::text[])`;
  };

  // One round trip: the live waiters of this provider with their users' last backfill grant, and how
  // far ahead of now the GCRA row's next slot is.
  const readState = async () => {
    const [row] = await sql<{ ahead_ms: number | null; waiters: RawWaiter[] }[]>`
      select
        (select (extract(epoch from (b.tat - clock_timestamp())) * 1000)::float8
           from rate_budget b where b.provider = ${provider}) as ahead_ms,
        coalesce((
          select json_agg(json_build_object(
                   'id', w.id, 'lane', w.lane, 'userId', w.user_id,
                   'enqueuedAt', extract(epoch from w.enqueued_at) * 1000,
                   'userLastGrantedAt', extract(epoch from g.last_granted_at) * 1000))
            from rate_budget_waiters w
            left join rate_budget_user_grants g on g.provider = w.provider and g.user_id = w.user_id
           where w.provider = ${provider} and w.alive_until > clock_timestamp()), '[]'::json) as waiters`;
    return { aheadMs: row?.ahead_ms ?? null, waiters: (row?.waiters ?? []).map(toWaiter) };
  };

  // Claims the next slot for one of our waiters, if it is still within the horizon: advances the GCRA
  // row, removes the waiter and, for a backfill, moves its user to the back of the round-robin.
  const claimFor = async (waiter: BudgetWaiter) => {
    const backfillUser = waiter.lane === 'backfill' ? waiter.userId : null;
    const [row] = await sql<{ wait_ms: number | null }[]>`
      with c as (select clock_timestamp() as now),
      claimed as (
        update rate_budget b
           set tat = greatest(b.tat, c.now) + ${intervalMs}::float8 * interval '1 millisecond'
          from c
         where b.provider = ${provider}
           and b.tat <= c.now + ${horizonMs}::float8 * interval '1 millisecond'
        returning b.tat, c.now
      ),
      gone as (
        delete from rate_budget_waiters where id = ${waiter.id} and exists (select 1 from claimed)
      ),
      served as (
        insert into rate_budget_user_grants (provider, user_id, last_granted_at)
        select ${provider}, ${backfillUser}::text, claimed.now from claimed where ${backfillUser}::text is not null
        on conflict (provider, user_id) do update set last_granted_at = excluded.last_granted_at
      )
      select (extract(epoch from (tat - now)) * 1000 - ${intervalMs}::float8)::float8 as wait_ms from claimed`;
    return row?.wait_ms ?? null;
  };

  const pollDelay = (aheadMs: number) => Math.max(5, Math.min(intervalMs, aheadMs - horizonMs));

  const pump = async () => {
    while (pending.size > 0) {
      await options.beforeClaim();
      await renew();
      const { aheadMs, waiters } = await readState();
      if (aheadMs === null) {
        await options.ensureRow();
        continue;
      }
      const head = pickNext(waiters);
      const ours = head ? pending.get(head.id) : undefined;
      if (head && !ours && head.id.startsWith(`${owner}:`)) {
        // Ours, but its acquisition is gone (rejected when a pump failed): drop it, do not wait on it.
        await sql`delete from rate_budget_waiters where id = ${head.id}`;
        continue;
      }
      if (!head || !ours) {
        // Another process's waiter is ahead (or our rows expired: renew them next round).
        if (!head || !waiters.some((w) => pending.has(w.id))) renewedAt = 0;
        await sleep(Math.max(5, Math.min(intervalMs, 200)));
        continue;
      }
      if (aheadMs > horizonMs) {
        await sleep(pollDelay(aheadMs));
        continue;
      }
      // One claim per slot interval from this process, as the budget did before lanes: claims then
      // stay just in time instead of a horizon ahead, so a pause the provider's headers ask for
      // (observe) reaches the next request rather than finding its slot already handed out.
      const gap = lastClaimAt + intervalMs - Date.now();
      if (gap > 0) {
        await sleep(gap);
        continue;
      }
      const waitMs = await claimFor(head);
      if (waitMs === null) continue;
      lastClaimAt = Date.now();
      pending.delete(head.id);
      ours.resolve(Math.max(0, waitMs));
    }
  };

  const startPump = () => {
    if (pumping) return;
    pumping = true;
    pump()
      .catch(async (error: unknown) => {
        const failed = [...pending.values()];
        pending.clear();
        for (const waiter of failed) waiter.reject(error);
        await sql`delete from rate_budget_waiters where owner = ${owner}`.catch(() => {});
      })
      .finally(() => {
        pumping = false;
        // An acquisition queued while the pump was finishing.
        if (pending.size > 0) startPump();
      });
  };

  return {
    async claim(acquisition) {
      const id = `${owner}:${++sequence}`;
      await sql`insert into rate_budget_waiters (id, provider, lane, user_id, owner, alive_until)
                values (${id}, ${provider}, ${LANE_KEYS[acquisition.lane]}, ${acquisition.userId ?? null},
                        ${owner}, clock_timestamp() + ${ALIVE_MS}::float8 * interval '1 millisecond')`;
      const granted = new Promise<number>((resolve, reject) => {
        pending.set(id, { acquisition, resolve, reject });
      });
      startPump();
      return granted;
    },
  };
}

interface RawWaiter {
  id: string;
  lane: number;
  userId: string | null;
  enqueuedAt: number;
  userLastGrantedAt: number | null;
}

function toWaiter(raw: RawWaiter): BudgetWaiter {
  return {
    id: raw.id,
    lane: laneOfKey(raw.lane),
    userId: raw.userId,
    enqueuedAt: Number(raw.enqueuedAt),
    userLastGrantedAt: raw.userLastGrantedAt === null ? null : Number(raw.userLastGrantedAt),
  };
}
