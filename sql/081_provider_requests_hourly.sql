-- The request ledger per hour (docs/sql-reference.md, provider_requests_hourly), for the panel that
-- sets the app's requests against its budget: over 30 days the per-minute ledger is ~43k minutes x
-- endpoints x statuses, summed per minute then per interval on every refresh (bench/REPORT.md).
--   requests              every request of the hour, all endpoints and statuses.
--   peak_minute_requests  the busiest minute of the hour (all endpoints and statuses of that minute):
--                         what a per-minute budget is measured against.
-- Kept by a trigger on provider_requests in the same transaction as the per-minute counters
-- (store/request-log.ts flushes them as additive upserts), so every writer keeps it. Pruning the
-- per-minute rows (their 30-day retention) leaves the hours: they are the long history.

create table provider_requests_hourly (
  hour                  timestamptz not null,
  provider              text not null,
  requests              bigint not null default 0,
  peak_minute_requests  integer not null default 0,
  primary key (provider, hour)
);

create function wearhouse_requests_hourly_add(changed jsonb) returns void
  language plpgsql as $$
begin
  -- Counts only grow: add each hour's delta. The upsert also locks the hour's row, so the peak below,
  -- read with a new snapshot, includes what any other transaction adding to that hour committed.
  insert into provider_requests_hourly as h (hour, provider, requests)
  select date_trunc('hour', minute, 'UTC'), provider, sum(delta)
    from jsonb_to_recordset(changed) as c(minute timestamptz, provider text, delta bigint)
   group by 1, 2
   order by 2, 1
  on conflict (provider, hour) do update set requests = h.requests + excluded.requests;
  update provider_requests_hourly h
     set peak_minute_requests = greatest(h.peak_minute_requests, m.peak)
    from (
      select date_trunc('hour', p.minute, 'UTC') as hour, p.provider, max(p.total) as peak
        from (
          select r.minute, r.provider, sum(r.requests)::int as total
            from provider_requests r
            join (select distinct minute, provider
                    from jsonb_to_recordset(changed) as c(minute timestamptz, provider text)) c
              on c.minute = r.minute and c.provider = r.provider
           group by r.minute, r.provider
        ) p
       group by 1, 2
    ) m
   where h.hour = m.hour and h.provider = m.provider and h.peak_minute_requests < m.peak;
end;
$$;

create function wearhouse_provider_requests_hourly() returns trigger
  language plpgsql as $$
declare
  changed jsonb;
begin
  if tg_op = 'INSERT' then
    select jsonb_agg(x) into changed from (
      select minute, provider, sum(requests) as delta from new_rows group by 1, 2) x;
  else
    -- An additive upsert: the key is unchanged, the new count minus the old one is what was added.
    select jsonb_agg(x) into changed from (
      select minute, provider, sum(delta) as delta from (
        select minute, provider, requests::bigint as delta from new_rows
        union all
        select minute, provider, -requests::bigint from old_rows) d
      group by 1, 2) x;
  end if;
  if changed is not null then
    perform wearhouse_requests_hourly_add(changed);
  end if;
  return null;
end;
$$;

create trigger provider_requests_hourly_insert after insert on provider_requests
  referencing new table as new_rows for each statement execute function wearhouse_provider_requests_hourly();
create trigger provider_requests_hourly_update after update on provider_requests
  referencing old table as old_rows new table as new_rows
  for each statement execute function wearhouse_provider_requests_hourly();

-- The minutes already counted.
insert into provider_requests_hourly (hour, provider, requests, peak_minute_requests)
select date_trunc('hour', minute, 'UTC'), provider, sum(total), max(total)
  from (select minute, provider, sum(requests)::int as total from provider_requests group by 1, 2) m
 group by 1, 2;

grant select on provider_requests_hourly to wearhouse_grafana;
