-- The preferred daily figures summed over users, for the Overview's daily_health panels with every
-- user selected (docs/views.md, "Across-user daily rows"; docs/dashboards.md, "Many users").
--
-- The headline stats and the recovery trend drew one series per user: "All" of 100 users over a
-- year sent 35,000 rows (0.4-0.7 s). With more than one user selected they now draw the mean over
-- the selected users per day (per score and HRV kind, which are never averaged together); with every
-- user selected from this table: per day, user bucket, recovery score kind and HRV kind, each
-- measure's sum and count. Kept like sql/093, by statement triggers on daily_health_rollup's writes
-- in the writer's transaction. daily_health ranks every provider's rows, so its across-user rows are
-- not a provider's: they are locked as the bucket's row of provider '' (sql/120), taken after the
-- writer's own provider's, and a pipeline transaction writes one provider.

create table daily_health_across_users (
  day      date not null,
  bucket   smallint not null,
  recovery_score_kind text,
  hrv_kind text,
  users    integer not null,
  recovery_score_sum     float8 not null, recovery_score_n     integer not null,
  hrv_ms_sum             float8 not null, hrv_ms_n             integer not null,
  resting_hr_bpm_sum     float8 not null, resting_hr_bpm_n     integer not null,
  sleep_h_sum            float8 not null, sleep_h_n            integer not null,
  steps_sum              float8 not null, steps_n              integer not null,
  active_energy_kcal_sum float8 not null, active_energy_kcal_n integer not null,
  unique nulls not distinct (day, bucket, recovery_score_kind, hrv_kind)
);

create function wearhouse_daily_health_across_sql(source text) returns text
  language plpgsql immutable as $f$
declare
  measures text[] := array['recovery_score', 'hrv_ms', 'resting_hr_bpm', 'sleep_h', 'steps',
    'active_energy_kcal'];
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
  insert into daily_health_across_users as a (day, bucket, recovery_score_kind, hrv_kind, users, %s)
  select day, wearhouse_user_bucket(user_id), recovery_score_kind, hrv_kind, sum(sign)::int, %s
  from (%s) d
  group by 1, 2, 3, 4
  order by 1, 2, 3, 4
  on conflict (day, bucket, recovery_score_kind, hrv_kind) do update set users = a.users + excluded.users, %s
  $q$, cols, sums, source, sets);
end;
$f$;

create function wearhouse_daily_health_across() returns trigger
  language plpgsql as $$
declare
  buckets smallint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(distinct wearhouse_user_bucket(user_id)) into buckets from new_rows;
  elsif tg_op = 'UPDATE' then
    select array_agg(distinct b) into buckets from (
      select wearhouse_user_bucket(user_id) as b from new_rows
      union select wearhouse_user_bucket(user_id) from old_rows) k;
  else
    select array_agg(distinct wearhouse_user_bucket(user_id)) into buckets from old_rows;
  end if;
  if buckets is null then
    return null;
  end if;
  perform wearhouse_lock_across_buckets(array_fill(''::text, array[cardinality(buckets)]), buckets);
  if tg_op = 'INSERT' then
    execute wearhouse_daily_health_across_sql('select 1 as sign, n.* from new_rows n');
  elsif tg_op = 'UPDATE' then
    execute wearhouse_daily_health_across_sql(
      'select 1 as sign, n.* from new_rows n union all select -1, o.* from old_rows o');
  else
    execute wearhouse_daily_health_across_sql('select -1 as sign, o.* from old_rows o');
  end if;
  return null;
end;
$$;

create trigger daily_health_across_insert after insert on daily_health_rollup
  referencing new table as new_rows for each statement execute function wearhouse_daily_health_across();
create trigger daily_health_across_update after update on daily_health_rollup
  referencing old table as old_rows new table as new_rows
  for each statement execute function wearhouse_daily_health_across();
create trigger daily_health_across_delete after delete on daily_health_rollup
  referencing old table as old_rows for each statement execute function wearhouse_daily_health_across();

create function wearhouse_daily_health_across_truncated() returns trigger
  language plpgsql as $$
begin
  delete from daily_health_across_users;
  return null;
end;
$$;
create trigger daily_health_across_truncate after truncate on daily_health_rollup
  for each statement execute function wearhouse_daily_health_across_truncated();

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
end;
$$;

do $$
begin
  execute wearhouse_daily_health_across_sql('select 1 as sign, r.* from daily_health_rollup r');
end;
$$;

grant select on daily_health_across_users to wearhouse_grafana;
