-- Per-user nights and their across-user sums, for the Sleep panels with every user selected
-- (docs/views.md, "Across-user daily rows"; docs/dashboards.md, "Many users").
--
-- With more than one user selected, Sleep debt, Hours asleep against sleep needed, Performance /
-- efficiency / consistency, Respiratory rate and Bed and wake times draw, per day, the mean over the
-- selected users of each user's own value of that night (grafana/src/sleep.ts). With "All" that read
-- one row per user and day from sleeps_stored: over 1 s for a year of 1,000 users. Here:
--
--   * sleep_nights: per user, provider and day, the values those panels compute for one user
--     (main sleeps only, naps excluded: hours asleep summed over a split night, need and debt their
--     maximum, the percentages and breathing rate averaged, bedtime and wake time in hours from the
--     day's local midnight);
--   * sleep_nights_across_users: per provider, day and user bucket, each value's sum and count over
--     the users, so the mean of a day with every user selected is a sum over 16 rows.
--
-- Kept like sql/090 and sql/093, in the writer's transaction: statement triggers on sleeps_stored
-- (which every refresh of a user's days rewrites) recompute the changed (user, provider, day) nights
-- from sleeps_stored, and statement triggers on sleep_nights add and subtract them here, after the
-- bucket's lock (sql/120).

create table sleep_nights (
  user_id  text not null,
  provider text not null,
  day      date not null,
  asleep_h float8,
  need_h   float8,
  performance_pct float8,
  efficiency_pct  float8,
  consistency_pct float8,
  respiratory_rate_bpm float8,
  bedtime_h float8,
  wake_h    float8,
  debt_h    float8,
  primary key (user_id, provider, day)
);

create table sleep_nights_across_users (
  provider text not null,
  day      date not null,
  bucket   smallint not null,
  -- Users with a main sleep that day (the per-user panels' rows).
  users    integer not null,
  asleep_h_sum float8 not null, asleep_h_n integer not null,
  need_h_sum   float8 not null, need_h_n   integer not null,
  performance_pct_sum float8 not null, performance_pct_n integer not null,
  efficiency_pct_sum  float8 not null, efficiency_pct_n  integer not null,
  consistency_pct_sum float8 not null, consistency_pct_n integer not null,
  respiratory_rate_bpm_sum float8 not null, respiratory_rate_bpm_n integer not null,
  bedtime_h_sum float8 not null, bedtime_h_n integer not null,
  wake_h_sum    float8 not null, wake_h_n    integer not null,
  debt_h_sum    float8 not null, debt_h_n    integer not null,
  primary key (provider, day, bucket)
);

-- The nights of one user's, provider's days, from sleeps_stored, as the one-user panels compute them.
create function wearhouse_sleep_nights_of(p_user text, p_provider text, p_from date, p_to date)
  returns setof sleep_nights
  language sql stable as $$
  select user_id, provider, day,
    sum(asleep_h), max(need_h),
    avg(performance_pct), avg(efficiency_pct), avg(consistency_pct),
    avg(respiratory_rate_bpm),
    extract(epoch from min(start_local) - day::timestamp)::float8 / 3600,
    extract(epoch from max(end_local) - day::timestamp)::float8 / 3600,
    max(debt_h)
  from sleeps_stored
  where user_id = p_user and provider = p_provider and day between p_from and p_to and not is_nap
  group by user_id, provider, day
$$;

-- Per user and provider, the changed rows' range of days is recomputed (the refreshes that write
-- sleeps_stored rewrite whole ranges; sleeps_stored_user_day answers each range).
create function wearhouse_sleeps_stored_changed() returns trigger
  language plpgsql as $$
declare
  k record;
begin
  for k in
    execute format('select user_id, provider, min(day) as lo, max(day) as hi from %I
                    group by user_id, provider order by user_id, provider',
                   case tg_op when 'INSERT' then 'new_rows' else 'old_rows' end)
  loop
    delete from sleep_nights
     where user_id = k.user_id and provider = k.provider and day between k.lo and k.hi;
    insert into sleep_nights select * from wearhouse_sleep_nights_of(k.user_id, k.provider, k.lo, k.hi);
  end loop;
  return null;
end;
$$;

create trigger sleeps_stored_nights_insert after insert on sleeps_stored
  referencing new table as new_rows for each statement execute function wearhouse_sleeps_stored_changed();
create trigger sleeps_stored_nights_delete after delete on sleeps_stored
  referencing old table as old_rows for each statement execute function wearhouse_sleeps_stored_changed();

-- The upsert adding `source` (sleep_nights rows with a `sign`: +1 inserted, -1 deleted).
create function wearhouse_sleep_nights_across_sql(source text) returns text
  language plpgsql immutable as $f$
declare
  measures text[] := array['asleep_h', 'need_h', 'performance_pct', 'efficiency_pct',
    'consistency_pct', 'respiratory_rate_bpm', 'bedtime_h', 'wake_h', 'debt_h'];
  cols text;
  sums text;
  sets text;
begin
  select string_agg(format('%1$s_sum, %1$s_n', m), ', '),
         string_agg(format('coalesce(sum(sign * %1$s), 0), (count(%1$s) filter (where sign > 0)'
                           ' - count(%1$s) filter (where sign < 0))::int', m), ', '),
         string_agg(format('%1$s_sum = a.%1$s_sum + excluded.%1$s_sum, %1$s_n = a.%1$s_n + excluded.%1$s_n', m), ', ')
    into cols, sums, sets
    from unnest(measures) m;
  return format($q$
  insert into sleep_nights_across_users as a (provider, day, bucket, users, %s)
  select provider, day, wearhouse_user_bucket(user_id), sum(sign)::int, %s
  from (%s) d
  group by 1, 2, 3
  order by 1, 2, 3
  on conflict (provider, day, bucket) do update set users = a.users + excluded.users, %s
  $q$, cols, sums, source, sets);
end;
$f$;

create function wearhouse_sleep_nights_across() returns trigger
  language plpgsql as $$
declare
  providers text[];
  buckets smallint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(provider order by provider, bucket), array_agg(bucket order by provider, bucket)
      into providers, buckets
      from (select distinct provider, wearhouse_user_bucket(user_id) as bucket from new_rows) k;
  else
    select array_agg(provider order by provider, bucket), array_agg(bucket order by provider, bucket)
      into providers, buckets
      from (select distinct provider, wearhouse_user_bucket(user_id) as bucket from old_rows) k;
  end if;
  if providers is null then
    return null;
  end if;
  perform wearhouse_lock_across_buckets(providers, buckets);
  if tg_op = 'INSERT' then
    execute wearhouse_sleep_nights_across_sql('select 1 as sign, n.* from new_rows n');
  else
    execute wearhouse_sleep_nights_across_sql('select -1 as sign, o.* from old_rows o');
  end if;
  return null;
end;
$$;

create trigger sleep_nights_across_insert after insert on sleep_nights
  referencing new table as new_rows for each statement execute function wearhouse_sleep_nights_across();
create trigger sleep_nights_across_delete after delete on sleep_nights
  referencing old table as old_rows for each statement execute function wearhouse_sleep_nights_across();

-- From scratch: here, and from wearhouse_rebuild_daily_across_users() (after a bulk load that wrote
-- the stored rows with their triggers off).
create function wearhouse_rebuild_sleep_nights() returns void
  language plpgsql as $$
begin
  -- A truncate fires no row or statement trigger of delete: nothing is subtracted first.
  truncate sleep_nights, sleep_nights_across_users;
  insert into sleep_nights
  select user_id, provider, day,
    sum(asleep_h), max(need_h), avg(performance_pct), avg(efficiency_pct), avg(consistency_pct),
    avg(respiratory_rate_bpm),
    extract(epoch from min(start_local) - day::timestamp)::float8 / 3600,
    extract(epoch from max(end_local) - day::timestamp)::float8 / 3600,
    max(debt_h)
  from sleeps_stored
  where not is_nap
  group by user_id, provider, day;
end;
$$;

create or replace function wearhouse_rebuild_daily_across_users() returns void
  language plpgsql as $$
begin
  lock table daily_summary_across_users in exclusive mode;
  delete from daily_summary_across_users;
  execute wearhouse_across_users_sql('select 1 as sign, r.* from daily_summary_rollup r');
  perform wearhouse_rebuild_sleep_nights();
end;
$$;

select wearhouse_rebuild_sleep_nights();

grant select on sleep_nights, sleep_nights_across_users to wearhouse_grafana;
