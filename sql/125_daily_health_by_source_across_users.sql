-- Per-source daily sums over users, for the Overview and Compare sources panels that draw a series
-- per source with every user selected (docs/views.md, "Across-user daily rows"; docs/dashboards.md,
-- "Many users").
--
-- Those panels drew one series per user and source: "All" of 1,000 users over a year sent 357,000
-- rows (seconds). With more than one user selected they now draw, per source, the mean over the
-- selected users' rows of that day; with every user selected from this table: per provider, source
-- label (the source, or the provider when a row has none), day and user bucket, each measure's sum
-- and count. Kept like sql/093, by statement triggers on daily_health_by_source_rollup's writes in
-- the writer's transaction, after the bucket's lock (sql/120).

create table daily_health_by_source_across_users (
  provider text not null,
  label    text not null,
  day      date not null,
  bucket   smallint not null,
  rows     integer not null,
  sleep_min_sum      float8 not null, sleep_min_n      integer not null,
  resting_hr_bpm_sum float8 not null, resting_hr_bpm_n integer not null,
  recovery_score_sum float8 not null, recovery_score_n integer not null,
  steps_sum          float8 not null, steps_n          integer not null,
  hrv_rmssd_ms_sum   float8 not null, hrv_rmssd_ms_n   integer not null,
  hrv_sdnn_ms_sum    float8 not null, hrv_sdnn_ms_n    integer not null,
  primary key (provider, label, day, bucket)
);
create index daily_health_by_source_across_day on daily_health_by_source_across_users (day);

create function wearhouse_by_source_across_sql(source text) returns text
  language plpgsql immutable as $f$
declare
  measures text[] := array['sleep_min', 'resting_hr_bpm', 'recovery_score', 'steps', 'hrv_rmssd_ms',
    'hrv_sdnn_ms'];
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
  insert into daily_health_by_source_across_users as a (provider, label, day, bucket, rows, %s)
  select provider, coalesce(source, provider), day, wearhouse_user_bucket(user_id), sum(sign)::int, %s
  from (%s) d
  group by 1, 2, 3, 4
  order by 1, 2, 3, 4
  on conflict (provider, label, day, bucket) do update set rows = a.rows + excluded.rows, %s
  $q$, cols, sums, source, sets);
end;
$f$;

create function wearhouse_by_source_across() returns trigger
  language plpgsql as $$
declare
  providers text[];
  buckets smallint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(provider order by provider, bucket), array_agg(bucket order by provider, bucket)
      into providers, buckets
      from (select distinct provider, wearhouse_user_bucket(user_id) as bucket from new_rows) k;
  elsif tg_op = 'UPDATE' then
    select array_agg(provider order by provider, bucket), array_agg(bucket order by provider, bucket)
      into providers, buckets
      from (select provider, wearhouse_user_bucket(user_id) as bucket from new_rows
            union select provider, wearhouse_user_bucket(user_id) from old_rows) k;
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
    execute wearhouse_by_source_across_sql('select 1 as sign, n.* from new_rows n');
  elsif tg_op = 'UPDATE' then
    execute wearhouse_by_source_across_sql(
      'select 1 as sign, n.* from new_rows n union all select -1, o.* from old_rows o');
  else
    execute wearhouse_by_source_across_sql('select -1 as sign, o.* from old_rows o');
  end if;
  return null;
end;
$$;

create trigger by_source_across_insert after insert on daily_health_by_source_rollup
  referencing new table as new_rows for each statement execute function wearhouse_by_source_across();
create trigger by_source_across_update after update on daily_health_by_source_rollup
  referencing old table as old_rows new table as new_rows
  for each statement execute function wearhouse_by_source_across();
create trigger by_source_across_delete after delete on daily_health_by_source_rollup
  referencing old table as old_rows for each statement execute function wearhouse_by_source_across();

create function wearhouse_by_source_across_truncated() returns trigger
  language plpgsql as $$
begin
  delete from daily_health_by_source_across_users;
  return null;
end;
$$;
create trigger by_source_across_truncate after truncate on daily_health_by_source_rollup
  for each statement execute function wearhouse_by_source_across_truncated();

create or replace function wearhouse_rebuild_daily_across_users() returns void
  language plpgsql as $$
begin
  lock table daily_summary_across_users, daily_health_by_source_across_users in exclusive mode;
  delete from daily_summary_across_users;
  execute wearhouse_across_users_sql('select 1 as sign, r.* from daily_summary_rollup r');
  delete from daily_health_by_source_across_users;
  execute wearhouse_by_source_across_sql('select 1 as sign, r.* from daily_health_by_source_rollup r');
  perform wearhouse_rebuild_sleep_nights();
  perform wearhouse_rebuild_workout_days();
end;
$$;

do $$
begin
  execute wearhouse_by_source_across_sql('select 1 as sign, r.* from daily_health_by_source_rollup r');
end;
$$;

grant select on daily_health_by_source_across_users to wearhouse_grafana;
