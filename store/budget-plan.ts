// What the budget planner needs from Postgres, and where its plan is kept (sql/086_budget_plan.sql;
// docs/architecture.md, "The budget plan"): active connections, what their incremental syncs
// really cost, whether webhooks are flowing, and the requests counted today.
import type { BudgetPlan, ProviderPlan } from '../providers/budget-planner.ts';
import type { Queryable, Sql } from './db.ts';

export interface ObservedDemand {
  provider: string;
  /** Active connections with the mean requests of their incremental syncs over the last 7 days. */
  connections: { userId: string; observedRequestsPerSync: number | null }[];
  /** Webhook events dispatched in the last 24 hours: each one a targeted fetch. */
  webhookEventsLastDay: number;
}

/** Per provider in `providers`, its active connections and recent activity. */
export async function readObservedDemand(
  sql: Queryable,
  providers: readonly string[],
): Promise<ObservedDemand[]> {
  if (providers.length === 0) return [];
  const connections = await sql<{ provider: string; user_id: string; per_sync: number | null }[]>`
    with runs as (
      select provider, user_id, run_id, sum(api_calls) as calls
        from sync_runs
       where workflow_type = 'incrementalSync' and status = 'completed'
         and started_at > now() - interval '7 days' and provider = any(${providers as string[]})
       group by provider, user_id, run_id
    )
    select c.provider, c.user_id, (select avg(calls)::float8 from runs r
                                    where r.provider = c.provider and r.user_id = c.user_id) as per_sync
      from connections c
     where c.status = 'active' and c.provider = any(${providers as string[]})
     order by c.provider, c.user_id`;
  const webhooks = await sql<{ provider: string; events: number }[]>`
    select provider, count(*)::int as events from webhook_events
     where status = 'dispatched' and received_at > now() - interval '1 day'
       and provider = any(${providers as string[]})
     group by provider`;
  return providers.map((provider) => ({
    provider,
    connections: connections
      .filter((c) => c.provider === provider)
      .map((c) => ({ userId: c.user_id, observedRequestsPerSync: c.per_sync })),
    webhookEventsLastDay: webhooks.find((w) => w.provider === provider)?.events ?? 0,
  }));
}

export interface StoredConnectionPlan {
  provider: string;
  userId: string;
  intervalMinutes: number;
  offsetMinutes: number;
}

/**
 * Stores `plan` over the previous one; returns the connections whose interval or offset changed or
 * that are new (their schedules need updating). Upserts without a transaction or lock: two workers
 * recomputing at once write the same plan, and both may report (and apply) the same changes.
 */
export async function saveBudgetPlan(sql: Sql, plan: BudgetPlan): Promise<StoredConnectionPlan[]> {
  const providers = plan.providers.map((p) => ({
    provider: p.provider,
    requests_per_minute: p.requestsPerMinute,
    requests_per_day: p.requestsPerDay ?? null,
    webhooks: p.webhooks,
    connections: p.connections,
    requests_per_sync: p.requestsPerSync,
    interval_minutes: p.intervalMinutes,
    sync_requests_per_day: p.syncRequestsPerDay,
    interactive_reserve_per_day: p.interactiveReservePerDay,
    reserved_per_day: p.reservedPerDay,
    fits: p.fits,
  }));
  const connections = plan.connections.map((c) => ({
    provider: c.provider,
    user_id: c.userId,
    interval_minutes: c.intervalMinutes,
    offset_minutes: c.offsetMinutes,
    requests_per_sync: c.requestsPerSync,
  }));
  const names = plan.providers.map((p) => p.provider);
  await sql`
    insert into budget_plan_providers (provider, requests_per_minute, requests_per_day, webhooks, connections,
      requests_per_sync, interval_minutes, sync_requests_per_day, interactive_reserve_per_day, reserved_per_day, fits)
    select * from jsonb_to_recordset(${sql.json(providers as never)}::jsonb) as x(provider text,
      requests_per_minute int, requests_per_day int, webhooks boolean, connections int, requests_per_sync numeric,
      interval_minutes int, sync_requests_per_day int, interactive_reserve_per_day int, reserved_per_day int,
      fits boolean)
    on conflict (provider) do update set
      requests_per_minute = excluded.requests_per_minute, requests_per_day = excluded.requests_per_day,
      webhooks = excluded.webhooks, connections = excluded.connections,
      requests_per_sync = excluded.requests_per_sync, interval_minutes = excluded.interval_minutes,
      sync_requests_per_day = excluded.sync_requests_per_day,
      interactive_reserve_per_day = excluded.interactive_reserve_per_day,
      reserved_per_day = excluded.reserved_per_day, fits = excluded.fits, planned_at = now()`;
  const changed = await sql<
    { provider: string; user_id: string; interval_minutes: number; offset_minutes: number }[]
  >`
    insert into budget_plan_connections as o (provider, user_id, interval_minutes, offset_minutes, requests_per_sync)
    select * from jsonb_to_recordset(${sql.json(connections as never)}::jsonb) as x(provider text, user_id text,
      interval_minutes int, offset_minutes int, requests_per_sync numeric)
    on conflict (provider, user_id) do update set
      interval_minutes = excluded.interval_minutes, offset_minutes = excluded.offset_minutes,
      requests_per_sync = excluded.requests_per_sync, planned_at = now()
    where (o.interval_minutes, o.offset_minutes) is distinct from (excluded.interval_minutes, excluded.offset_minutes)
    returning provider, user_id, interval_minutes, offset_minutes`;
  // What a sync costs moves a little every hour; it is kept up to date without touching schedules.
  await sql`
    update budget_plan_connections o set requests_per_sync = x.requests_per_sync
      from jsonb_to_recordset(${sql.json(connections as never)}::jsonb) as x(provider text, user_id text,
        requests_per_sync numeric)
     where o.provider = x.provider and o.user_id = x.user_id and o.requests_per_sync is distinct from x.requests_per_sync`;
  // Connections no longer planned (disconnected, waiting for a new login).
  await sql`
    delete from budget_plan_connections
     where provider = any(${names})
       and (provider, user_id) not in (
         select provider, user_id from jsonb_to_recordset(${sql.json(connections as never)}::jsonb)
           as x(provider text, user_id text))`;
  return changed.map((c) => ({
    provider: c.provider,
    userId: c.user_id,
    intervalMinutes: c.interval_minutes,
    offsetMinutes: c.offset_minutes,
  }));
}

export async function readProviderPlans(sql: Queryable): Promise<(ProviderPlan & { plannedAt: Date })[]> {
  const rows = await sql<
    {
      provider: string;
      requests_per_minute: number;
      requests_per_day: number | null;
      webhooks: boolean;
      connections: number;
      requests_per_sync: string;
      interval_minutes: number;
      sync_requests_per_day: number;
      interactive_reserve_per_day: number;
      reserved_per_day: number;
      fits: boolean;
      planned_at: Date;
    }[]
  >`select * from budget_plan_providers order by provider`;
  return rows.map((r) => ({
    provider: r.provider,
    requestsPerMinute: r.requests_per_minute,
    ...(r.requests_per_day === null ? {} : { requestsPerDay: r.requests_per_day }),
    webhooks: r.webhooks,
    connections: r.connections,
    requestsPerSync: Number(r.requests_per_sync),
    intervalMinutes: r.interval_minutes,
    syncRequestsPerDay: r.sync_requests_per_day,
    interactiveReservePerDay: r.interactive_reserve_per_day,
    reservedPerDay: r.reserved_per_day,
    fits: r.fits,
    plannedAt: r.planned_at,
  }));
}

/** The planned interval and offset of one connection, if planned. */
export async function readConnectionPlan(
  sql: Queryable,
  provider: string,
  userId: string,
): Promise<StoredConnectionPlan | undefined> {
  const [row] = await sql<{ interval_minutes: number; offset_minutes: number }[]>`
    select interval_minutes, offset_minutes from budget_plan_connections
     where provider = ${provider} and user_id = ${userId}`;
  return (
    row && { provider, userId, intervalMinutes: row.interval_minutes, offsetMinutes: row.offset_minutes }
  );
}

/** Requests counted today (UTC, the counter the shared budget enforces) per provider, and the database's now. */
export async function readUsedToday(sql: Queryable): Promise<{ used: Map<string, number>; now: Date }> {
  const rows = await sql<{ provider: string | null; requests: number | null; now: Date }[]>`
    select d.provider, d.requests, clock_timestamp() as now
      from (select clock_timestamp()) n
      left join rate_budget_daily d on d.day = (clock_timestamp() at time zone 'UTC')::date`;
  const used = new Map<string, number>();
  for (const row of rows) if (row.provider) used.set(row.provider, row.requests ?? 0);
  return { used, now: rows[0]?.now ?? new Date() };
}
