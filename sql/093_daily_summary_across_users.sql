-- Across-user daily sums of the daily_summary measures the dashboards chart (docs/views.md,
-- "Across-user daily rows").
--
-- With every user selected a daily panel draws the mean across users per day (docs/dashboards.md,
-- "Many users"). Computing it from daily_summary reads one row per user and day: 366,000 rows for
-- a year of 1,000 users, seconds per panel. This table keeps, per provider, day and user bucket,
-- each measure's sum and count over the users, so the mean of a day is a sum over 16 rows.
--
-- Maintained from daily_summary_rollup's own writes (like sql/090): statement triggers on its
-- delete and insert subtract and add the rows' measures in the same transaction. Rows are split by
-- a hash of the user into 16 buckets so that writers of different users seldom update the same row
-- (a row is locked from the update until the writer's transaction ends).

create table daily_summary_across_users (
  provider text not null,
  day      date not null,
  bucket   smallint not null,
  users    integer not null,
  recovery_pct_sum   float8 not null, recovery_pct_n   integer not null,
  hrv_ms_sum         float8 not null, hrv_ms_n         integer not null,
  resting_hr_bpm_sum float8 not null, resting_hr_bpm_n integer not null,
  spo2_pct_sum       float8 not null, spo2_pct_n       integer not null,
  skin_temp_c_sum    float8 not null, skin_temp_c_n    integer not null,
  day_strain_sum     float8 not null, day_strain_n     integer not null,
  energy_kcal_sum    float8 not null, energy_kcal_n    integer not null,
  sleep_h_sum        float8 not null, sleep_h_n        integer not null,
  primary key (provider, day, bucket)
);

-- The upsert adding `source` (daily_summary rows with a `sign`: +1 inserted, -1 deleted). Text, so
-- the trigger function executes it itself: transition tables are visible only to its own queries.
create function wearhouse_across_users_sql(source text) returns text
  language sql immutable as $f$
  select format($q$
  insert into daily_summary_across_users as a (provider, day, bucket, users,
    recovery_pct_sum, recovery_pct_n, hrv_ms_sum, hrv_ms_n, resting_hr_bpm_sum, resting_hr_bpm_n,
    spo2_pct_sum, spo2_pct_n, skin_temp_c_sum, skin_temp_c_n, day_strain_sum, day_strain_n,
    energy_kcal_sum, energy_kcal_n, sleep_h_sum, sleep_h_n)
  select provider, day, (hashtext(user_id) & 15)::smallint, sum(sign)::int,
    coalesce(sum(sign * recovery_pct), 0), count(recovery_pct) filter (where sign > 0)
      - count(recovery_pct) filter (where sign < 0),
    coalesce(sum(sign * hrv_ms), 0), count(hrv_ms) filter (where sign > 0) - count(hrv_ms) filter (where sign < 0),
    coalesce(sum(sign * resting_hr_bpm), 0), count(resting_hr_bpm) filter (where sign > 0)
      - count(resting_hr_bpm) filter (where sign < 0),
    coalesce(sum(sign * spo2_pct), 0), count(spo2_pct) filter (where sign > 0)
      - count(spo2_pct) filter (where sign < 0),
    coalesce(sum(sign * skin_temp_c), 0), count(skin_temp_c) filter (where sign > 0)
      - count(skin_temp_c) filter (where sign < 0),
    coalesce(sum(sign * day_strain), 0), count(day_strain) filter (where sign > 0)
      - count(day_strain) filter (where sign < 0),
    coalesce(sum(sign * energy_kcal), 0), count(energy_kcal) filter (where sign > 0)
      - count(energy_kcal) filter (where sign < 0),
    coalesce(sum(sign * sleep_h), 0), count(sleep_h) filter (where sign > 0) - count(sleep_h) filter (where sign < 0)
  from (%s) d
  group by 1, 2, 3
  -- A fixed order: two statements adding to the same rows take their locks in turn, never crosswise.
  order by 1, 2, 3
  on conflict (provider, day, bucket) do update set
    users = a.users + excluded.users,
    recovery_pct_sum = a.recovery_pct_sum + excluded.recovery_pct_sum,
    recovery_pct_n = a.recovery_pct_n + excluded.recovery_pct_n,
    hrv_ms_sum = a.hrv_ms_sum + excluded.hrv_ms_sum, hrv_ms_n = a.hrv_ms_n + excluded.hrv_ms_n,
    resting_hr_bpm_sum = a.resting_hr_bpm_sum + excluded.resting_hr_bpm_sum,
    resting_hr_bpm_n = a.resting_hr_bpm_n + excluded.resting_hr_bpm_n,
    spo2_pct_sum = a.spo2_pct_sum + excluded.spo2_pct_sum, spo2_pct_n = a.spo2_pct_n + excluded.spo2_pct_n,
    skin_temp_c_sum = a.skin_temp_c_sum + excluded.skin_temp_c_sum,
    skin_temp_c_n = a.skin_temp_c_n + excluded.skin_temp_c_n,
    day_strain_sum = a.day_strain_sum + excluded.day_strain_sum,
    day_strain_n = a.day_strain_n + excluded.day_strain_n,
    energy_kcal_sum = a.energy_kcal_sum + excluded.energy_kcal_sum,
    energy_kcal_n = a.energy_kcal_n + excluded.energy_kcal_n,
    sleep_h_sum = a.sleep_h_sum + excluded.sleep_h_sum, sleep_h_n = a.sleep_h_n + excluded.sleep_h_n
  $q$, source);
$f$;

create function wearhouse_daily_across_users() returns trigger
  language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    execute wearhouse_across_users_sql('select 1 as sign, n.* from new_rows n');
  else
    execute wearhouse_across_users_sql('select -1 as sign, o.* from old_rows o');
  end if;
  return null;
end;
$$;

create trigger daily_summary_rollup_across_insert after insert on daily_summary_rollup
  referencing new table as new_rows for each statement execute function wearhouse_daily_across_users();
create trigger daily_summary_rollup_across_delete after delete on daily_summary_rollup
  referencing old table as old_rows for each statement execute function wearhouse_daily_across_users();

create function wearhouse_daily_across_users_truncated() returns trigger
  language plpgsql as $$
begin
  delete from daily_summary_across_users;
  return null;
end;
$$;
create trigger daily_summary_rollup_across_truncate after truncate on daily_summary_rollup
  for each statement execute function wearhouse_daily_across_users_truncated();

-- From scratch: once here, and after a bulk load that wrote daily_summary_rollup with its triggers off.
create function wearhouse_rebuild_daily_across_users() returns void
  language plpgsql as $$
begin
  lock table daily_summary_across_users in exclusive mode;
  delete from daily_summary_across_users;
  execute wearhouse_across_users_sql('select 1 as sign, r.* from daily_summary_rollup r');
end;
$$;

select wearhouse_rebuild_daily_across_users();

grant select on daily_summary_across_users to wearhouse_grafana;
