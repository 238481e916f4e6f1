-- Days per recovery band per user and month, for "Days per recovery band" with every user selected
-- (docs/views.md, "Across-user daily rows"; docs/dashboards.md, "Many users").
--
-- The panel is a table of one row per user: with "All" of 1,000 users over a year it counted
-- 365,000 stored recoveries (0.14-0.19 s). With every user selected it now adds each user's stored
-- monthly counts for the months wholly in the range, and counts the days before and after them from
-- recoveries_stored. Kept like sql/121: statement triggers on recoveries_stored recompute the
-- changed users' months, per (user, provider) range of days, in the writer's transaction. Rows are
-- per user, so two users' writers never share one.

create table recovery_band_months (
  user_id  text not null,
  provider text not null,
  month    date not null,
  red      bigint not null,
  yellow   bigint not null,
  green    bigint not null,
  primary key (user_id, provider, month)
);
create index recovery_band_months_month on recovery_band_months (month);

create function wearhouse_recoveries_stored_changed() returns trigger
  language plpgsql as $$
declare
  k record;
  month_lo date;
  month_hi date;
begin
  for k in
    execute format('select user_id, provider, min(day) as lo, max(day) as hi from %I
                    group by user_id, provider order by user_id, provider',
                   case tg_op when 'INSERT' then 'new_rows' else 'old_rows' end)
  loop
    month_lo := date_trunc('month', k.lo)::date;
    month_hi := date_trunc('month', k.hi)::date;
    delete from recovery_band_months
     where user_id = k.user_id and provider = k.provider and month between month_lo and month_hi;
    insert into recovery_band_months
    select user_id, provider, date_trunc('month', day)::date,
      count(*) filter (where band = 'red'), count(*) filter (where band = 'yellow'),
      count(*) filter (where band = 'green')
      from recoveries_stored
     where user_id = k.user_id and provider = k.provider and band is not null
       and day >= month_lo and day < (month_hi + interval '1 month')::date
     group by 1, 2, 3;
  end loop;
  return null;
end;
$$;

create trigger recoveries_stored_months_insert after insert on recoveries_stored
  referencing new table as new_rows for each statement execute function wearhouse_recoveries_stored_changed();
create trigger recoveries_stored_months_delete after delete on recoveries_stored
  referencing old table as old_rows for each statement execute function wearhouse_recoveries_stored_changed();

create function wearhouse_rebuild_recovery_band_months() returns void
  language plpgsql as $$
begin
  truncate recovery_band_months;
  insert into recovery_band_months
  select user_id, provider, date_trunc('month', day)::date,
    count(*) filter (where band = 'red'), count(*) filter (where band = 'yellow'),
    count(*) filter (where band = 'green')
    from recoveries_stored where band is not null
   group by 1, 2, 3;
end;
$$;

create or replace function wearhouse_rebuild_daily_across_users() returns void
  language plpgsql as $$
begin
  lock table daily_summary_across_users, daily_health_by_source_across_users, daily_health_across_users
    in exclusive mode;
  delete from daily_summary_across_users;
  execute wearhouse_across_users_sql('select 1 as sign, r.* from daily_summary_rollup r');
  delete from daily_health_by_source_across_users;
  execute wearhouse_by_source_across_sql('select 1 as sign, r.* from daily_health_by_source_rollup r');
  delete from daily_health_across_users;
  execute wearhouse_daily_health_across_sql('select 1 as sign, r.* from daily_health_rollup r');
  perform wearhouse_rebuild_sleep_nights();
  perform wearhouse_rebuild_workout_days();
  perform wearhouse_rebuild_recovery_band_months();
end;
$$;

select wearhouse_rebuild_recovery_band_months();

grant select on recovery_band_months to wearhouse_grafana;

-- Compare sources' "Sleep stages by source" (one row per user and source: nights and mean minutes
-- per stage) the same way: per user, provider, source label and month, the nights with hours asleep
-- and each measure's sum and count over them, recomputed from daily_health_by_source_rollup for the
-- months a statement on it changed.
create table sleep_source_months (
  user_id  text not null,
  provider text not null,
  label    text not null,
  month    date not null,
  nights   bigint not null,
  sleep_min_sum float8, sleep_min_n bigint not null,
  in_bed_min_sum float8, in_bed_min_n bigint not null,
  deep_min_sum float8, deep_min_n bigint not null,
  rem_min_sum float8, rem_min_n bigint not null,
  light_min_sum float8, light_min_n bigint not null,
  awake_min_sum float8, awake_min_n bigint not null,
  sleep_efficiency_pct_sum float8, sleep_efficiency_pct_n bigint not null,
  mirrored boolean not null,
  primary key (user_id, provider, label, month)
);
create index sleep_source_months_month on sleep_source_months (month);

-- The months of `p_user`'s, `p_provider`'s rows from p_from to p_to (whole months), as stored.
create function wearhouse_sleep_source_months_of(p_user text, p_provider text, p_from date, p_to date)
  returns setof sleep_source_months
  language sql stable as $$
  select user_id, provider, coalesce(source, provider), date_trunc('month', day)::date, count(*),
    sum(sleep_min), count(sleep_min), sum(in_bed_min), count(in_bed_min), sum(deep_min), count(deep_min),
    sum(rem_min), count(rem_min), sum(light_min), count(light_min), sum(awake_min), count(awake_min),
    sum(sleep_efficiency_pct), count(sleep_efficiency_pct), bool_or(mirror_of is not null)
  from daily_health_by_source_rollup
  where (p_user is null or user_id = p_user) and (p_provider is null or provider = p_provider)
    and day >= p_from and day <= p_to and sleep_min is not null
  group by 1, 2, 3, 4
$$;

create function wearhouse_sleep_source_changed() returns trigger
  language plpgsql as $$
declare
  k record;
  month_lo date;
  month_hi date;
begin
  for k in
    execute case tg_op
      when 'UPDATE' then 'select user_id, provider, min(day) as lo, max(day) as hi from
        (select user_id, provider, day from new_rows union all select user_id, provider, day from old_rows) r
        group by user_id, provider order by user_id, provider'
      else format('select user_id, provider, min(day) as lo, max(day) as hi from %I
        group by user_id, provider order by user_id, provider',
        case tg_op when 'INSERT' then 'new_rows' else 'old_rows' end) end
  loop
    month_lo := date_trunc('month', k.lo)::date;
    month_hi := (date_trunc('month', k.hi) + interval '1 month' - interval '1 day')::date;
    delete from sleep_source_months
     where user_id = k.user_id and provider = k.provider and month between month_lo and month_hi;
    insert into sleep_source_months
    select * from wearhouse_sleep_source_months_of(k.user_id, k.provider, month_lo, month_hi);
  end loop;
  return null;
end;
$$;

create trigger sleep_source_months_insert after insert on daily_health_by_source_rollup
  referencing new table as new_rows for each statement execute function wearhouse_sleep_source_changed();
create trigger sleep_source_months_update after update on daily_health_by_source_rollup
  referencing old table as old_rows new table as new_rows
  for each statement execute function wearhouse_sleep_source_changed();
create trigger sleep_source_months_delete after delete on daily_health_by_source_rollup
  referencing old table as old_rows for each statement execute function wearhouse_sleep_source_changed();

create function wearhouse_sleep_source_truncated() returns trigger
  language plpgsql as $$
begin
  delete from sleep_source_months;
  return null;
end;
$$;
create trigger sleep_source_months_truncate after truncate on daily_health_by_source_rollup
  for each statement execute function wearhouse_sleep_source_truncated();

create or replace function wearhouse_rebuild_recovery_band_months() returns void
  language plpgsql as $$
begin
  truncate recovery_band_months, sleep_source_months;
  insert into recovery_band_months
  select user_id, provider, date_trunc('month', day)::date,
    count(*) filter (where band = 'red'), count(*) filter (where band = 'yellow'),
    count(*) filter (where band = 'green')
    from recoveries_stored where band is not null
   group by 1, 2, 3;
  insert into sleep_source_months
  select * from wearhouse_sleep_source_months_of(null, null, '-infinity', 'infinity');
end;
$$;

select wearhouse_rebuild_recovery_band_months();

grant select on sleep_source_months to wearhouse_grafana;
