-- daily_health kept as rows too (docs/views.md, "Stored daily rows"), maintained by the same
-- refresh as daily_summary and daily_health_by_source (sql/080, sql/082, sql/083).
-- Ranked per read over the stored per-source rows, one user's 5 years took ~50 ms to plan and ~50
-- ms to run: the read API's /daily paid it on every request (bench/READ-API.md).
--   * daily_health_live is the former definition (renamed, unchanged): the ranking of the stored
--     daily_health_by_source rows by source_preferences. It is the reference and what the refresh
--     evaluates, for one user's changed days.
--   * daily_health_rollup holds its rows, keyed by (user_id, day); daily_health is a view over it
--     with the same name, columns and meaning.
-- A day's row depends only on that user's daily_health_by_source rows of the same day and on
-- source_preferences, so it is recomputed whenever either changes: every per-source refresh
-- recomputes the same user's same days, and a change to source_preferences recomputes the users it
-- names (a default row, user_id null: every user).
--
-- Two transactions refreshing different providers of one user would each rank without the other's
-- uncommitted rows. So every refresh first locks the user's row in daily_health_refresh, before the
-- (user, provider) row of daily_summary_refresh: one user's refreshes take turns, the second reads
-- what the first committed, and the lock order is the same on every path (no deadlock).

alter view daily_health rename to daily_health_live;

create table daily_health_rollup as select * from daily_health_live with no data;
alter table daily_health_rollup add primary key (user_id, day);
-- "All users" panels filter by day across every user first.
create index daily_health_rollup_day on daily_health_rollup (day);

create view daily_health as select * from daily_health_rollup;

-- As daily_summary_refresh (sql/080): a table row, not an advisory lock the Grafana role could take.
create table daily_health_refresh (
  user_id      text primary key,
  refreshed_at timestamptz not null default now()
);

create function wearhouse_lock_daily_health(p_user text) returns void
  language sql as $$
  insert into daily_health_refresh as f (user_id) values (p_user)
  on conflict (user_id) do update set refreshed_at = now();
$$;

-- One user's days (null bounds: all of them) ranked again from the stored per-source rows. The
-- caller holds the user's daily_health_refresh row.
create function wearhouse_refresh_daily_health(p_user text, p_from date, p_to date) returns void
  language plpgsql as $$
begin
  delete from daily_health_rollup
   where user_id = p_user and (p_from is null or day >= p_from) and (p_to is null or day <= p_to);
  insert into daily_health_rollup
  select * from daily_health_live
   where user_id = p_user and (p_from is null or day >= p_from) and (p_to is null or day <= p_to);
end;
$$;

-- The per-source part, as sql/082 defined it (daily_summary and daily_health_by_source).
create function wearhouse_refresh_source_days(p_user text, p_provider text, p_from date, p_to date)
  returns void language plpgsql as $$
begin
  insert into daily_summary_refresh as f (user_id, provider) values (p_user, p_provider)
  on conflict (user_id, provider) do update set refreshed_at = now();
  -- Each statement below takes a new snapshot, so it sees whatever a transaction that held the row
  -- above committed.
  delete from daily_summary_rollup
   where user_id = p_user and provider = p_provider
     and (p_from is null or day >= p_from) and (p_to is null or day <= p_to);
  insert into daily_summary_rollup
  select * from daily_summary_live
   where user_id = p_user and provider = p_provider
     and (p_from is null or day >= p_from) and (p_to is null or day <= p_to);
  delete from daily_health_by_source_rollup
   where user_id = p_user and provider = p_provider
     and (p_from is null or day >= p_from) and (p_to is null or day <= p_to);
  insert into daily_health_by_source_rollup
  select * from daily_health_by_source_live
   where user_id = p_user and provider = p_provider
     and (p_from is null or day >= p_from) and (p_to is null or day <= p_to);
end;
$$;

-- What the records trigger (sql/080, via wearhouse_refresh_daily_summary_for) and the deferred
-- refresh call: the provider's days, then the user's cross-source days over the same range.
create or replace function wearhouse_refresh_daily_summary(p_user text, p_provider text, p_from date, p_to date)
  returns void language plpgsql as $$
begin
  perform wearhouse_lock_daily_health(p_user);
  perform wearhouse_refresh_source_days(p_user, p_provider, p_from, p_to);
  perform wearhouse_refresh_daily_health(p_user, p_from, p_to);
end;
$$;

-- As sql/083, with the user's row locked before the (user, provider) row (the order above).
create or replace function wearhouse_refresh_deferred_daily_summary(p_user text, p_provider text) returns integer
  language plpgsql as $$
declare
  taken integer;
  lo date;
  hi date;
  whole boolean;
begin
  perform wearhouse_lock_daily_health(p_user);
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

-- Everything again: per user and provider the per-source rows, then each user's ranking once.
create or replace function wearhouse_rebuild_daily_summary() returns void
  language plpgsql as $$
declare
  k record;
begin
  lock table daily_summary_rollup, daily_health_by_source_rollup, daily_health_rollup in exclusive mode;
  delete from daily_summary_rollup;
  delete from daily_health_by_source_rollup;
  delete from daily_health_rollup;
  for k in select distinct user_id, provider from records order by 1, 2 loop
    perform wearhouse_refresh_source_days(k.user_id, k.provider, null, null);
  end loop;
  for k in select distinct user_id from daily_health_by_source_rollup order by 1 loop
    perform wearhouse_refresh_daily_health(k.user_id, null, null);
  end loop;
end;
$$;

create or replace function wearhouse_records_truncated() returns trigger
  language plpgsql as $$
begin
  delete from daily_summary_rollup;
  delete from daily_health_by_source_rollup;
  delete from daily_health_rollup;
  return null;
end;
$$;

-- Ranks again the days of the users whose preferences changed (every user for a default row).
create function wearhouse_refresh_daily_health_of(p_users text[], p_everyone boolean) returns void
  language plpgsql as $$
declare
  k record;
begin
  for k in
    select distinct user_id from daily_health_by_source_rollup
     where p_everyone or user_id = any(p_users)
     order by 1
  loop
    perform wearhouse_lock_daily_health(k.user_id);
    perform wearhouse_refresh_daily_health(k.user_id, null, null);
  end loop;
end;
$$;

create function wearhouse_source_preferences_daily() returns trigger
  language plpgsql as $$
declare
  users text[];
  everyone boolean;
begin
  -- Transition tables are only visible in the function's own queries, hence one per event.
  if tg_op = 'INSERT' then
    select array_agg(user_id), bool_or(user_id is null) into users, everyone from new_rows;
  elsif tg_op = 'UPDATE' then
    select array_agg(user_id), bool_or(user_id is null) into users, everyone
      from (select user_id from new_rows union all select user_id from old_rows) x;
  elsif tg_op = 'DELETE' then
    select array_agg(user_id), bool_or(user_id is null) into users, everyone from old_rows;
  else
    everyone := true;
  end if;
  if users is not null or everyone then
    perform wearhouse_refresh_daily_health_of(users, coalesce(everyone, false));
  end if;
  return null;
end;
$$;

create trigger source_preferences_daily_insert after insert on source_preferences
  referencing new table as new_rows for each statement execute function wearhouse_source_preferences_daily();
create trigger source_preferences_daily_update after update on source_preferences
  referencing old table as old_rows new table as new_rows
  for each statement execute function wearhouse_source_preferences_daily();
create trigger source_preferences_daily_delete after delete on source_preferences
  referencing old table as old_rows for each statement execute function wearhouse_source_preferences_daily();
create trigger source_preferences_daily_truncate after truncate on source_preferences
  for each statement execute function wearhouse_source_preferences_daily();

-- The rows already stored: rank them once (the per-source rows are current, sql/082).
do $$
declare
  k record;
begin
  for k in select distinct user_id from daily_health_by_source_rollup order by 1 loop
    perform wearhouse_refresh_daily_health(k.user_id, null, null);
  end loop;
end;
$$;

grant select on daily_health, daily_health_rollup, daily_health_live to wearhouse_grafana;
