-- The budget plan (docs/architecture.md, "The budget plan"): each provider's chosen sync interval
-- and the share of its daily budget reserved for schedules and interactive fetches, and each
-- connection's planned interval and offset. Written by the planner (store/budget-plan.ts) at worker
-- start, hourly in the worker, and on `wearhouse connect`; read by `wearhouse status`, the pipeline
-- dashboard, and the shared budget, which lets backfills count only below
-- requests_per_day − reserved_per_day × (share of the UTC day left) (providers/rate-budget.ts).
create table budget_plan_providers (
  provider                     text primary key,
  requests_per_minute          integer not null,
  requests_per_day             integer,
  webhooks                     boolean not null,
  connections                  integer not null,
  requests_per_sync            numeric not null,
  interval_minutes             integer not null,
  sync_requests_per_day        integer not null,
  interactive_reserve_per_day  integer not null,
  reserved_per_day             integer not null,
  fits                         boolean not null,
  planned_at                   timestamptz not null default now()
);

create table budget_plan_connections (
  provider           text not null,
  user_id            text not null,
  interval_minutes   integer not null,
  offset_minutes     integer not null,
  requests_per_sync  numeric not null,
  planned_at         timestamptz not null default now(),
  primary key (provider, user_id)
);

-- Will today's budget last? Requests counted so far today (UTC, the counter the budget enforces)
-- plus what the plan still needs for syncs and interactive fetches until midnight. The same
-- arithmetic as forecastDay (providers/budget-planner.ts), which `wearhouse status` uses.
create view budget_forecast as
  with now_ as (
    select clock_timestamp() as now, (clock_timestamp() at time zone 'UTC')::date as day
  )
  select p.provider,
         n.day,
         p.requests_per_day,
         coalesce(d.requests, 0) as used_today,
         ceil(p.reserved_per_day
              * extract(epoch from ((n.day + 1)::timestamp at time zone 'UTC') - n.now) / 86400.0)::int
           as reserved_remaining,
         coalesce(d.requests, 0)
           + ceil(p.reserved_per_day
                  * extract(epoch from ((n.day + 1)::timestamp at time zone 'UTC') - n.now) / 86400.0)::int
           as projected_end_of_day,
         p.requests_per_day is null
           or coalesce(d.requests, 0)
                + ceil(p.reserved_per_day
                       * extract(epoch from ((n.day + 1)::timestamp at time zone 'UTC') - n.now) / 86400.0)::int
              <= p.requests_per_day as will_last,
         p.interval_minutes,
         p.connections,
         p.webhooks,
         p.fits
    from budget_plan_providers p
    cross join now_ n
    left join rate_budget_daily d on d.provider = p.provider and d.day = n.day;

grant select on budget_plan_providers, budget_plan_connections, budget_forecast to wearhouse_grafana;
