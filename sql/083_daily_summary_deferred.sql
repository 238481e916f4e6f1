-- Bulk loads defer the stored daily rows (docs/views.md, "Stored daily rows").
--
-- The records trigger (sql/080) recomputes the days a statement touched in the statement's own
-- transaction. A file import writes thousands of batches for one user, each spanning many days
-- (an export is ordered by type, not by time), and each recompute reads that user's history: per
-- batch that would make an import quadratic in the user's records. A transaction that sets
-- `wearhouse.defer_daily_rollup` to 'on' (set_config(..., true): that transaction only) records the
-- ranges it touched in daily_summary_dirty instead, and the loader recomputes them once per slice
-- with wearhouse_refresh_deferred_daily_summary. Every other writer keeps the in-transaction refresh.

create table daily_summary_dirty (
  user_id   text not null,
  provider  text not null,
  -- Already widened by two days as the trigger widens them; null: every day of that user/provider.
  day_from  date,
  day_to    date,
  marked_at timestamptz not null default now()
);
create index daily_summary_dirty_key on daily_summary_dirty (user_id, provider);

create or replace function wearhouse_refresh_daily_summary_for(changed jsonb) returns void
  language plpgsql as $$
declare
  k record;
  deferred boolean := coalesce(current_setting('wearhouse.defer_daily_rollup', true), '') = 'on';
begin
  -- In a fixed order, so two transactions touching the same users never wait on each other crosswise.
  for k in
    select user_id, provider,
           case when bool_or(lo is null) then null else min(lo) - 2 end as day_from,
           case when bool_or(hi is null) then null else max(hi) + 2 end as day_to
      from jsonb_to_recordset(changed) as c(user_id text, provider text, lo date, hi date)
     group by user_id, provider
     order by user_id, provider
  loop
    if deferred then
      insert into daily_summary_dirty (user_id, provider, day_from, day_to)
      values (k.user_id, k.provider, k.day_from, k.day_to);
    else
      perform wearhouse_refresh_daily_summary(k.user_id, k.provider, k.day_from, k.day_to);
    end if;
  end loop;
end;
$$;

-- Recomputes what deferred writes of one user and provider left dirty; returns the ranges taken.
-- The refresh row is locked first (as every refresh does), so a concurrent refresh of the same user
-- waits; ranges marked after the delete below stay for the next call.
create function wearhouse_refresh_deferred_daily_summary(p_user text, p_provider text) returns integer
  language plpgsql as $$
declare
  taken integer;
  lo date;
  hi date;
  whole boolean;
begin
  insert into daily_summary_refresh as f (user_id, provider) values (p_user, p_provider)
  on conflict (user_id, provider) do update set refreshed_at = now();
  with gone as (
    delete from daily_summary_dirty where user_id = p_user and provider = p_provider
    returning day_from, day_to
  )
  select count(*), min(day_from), max(day_to), bool_or(day_from is null or day_to is null)
    into taken, lo, hi, whole
    from gone;
  if taken > 0 then
    if whole then
      perform wearhouse_refresh_daily_summary(p_user, p_provider, null, null);
    else
      perform wearhouse_refresh_daily_summary(p_user, p_provider, lo, hi);
    end if;
  end if;
  return taken;
end;
$$;
