-- Typed views with one branch per provider, each in its own view (`<view>__<provider>`), and the
-- typed view itself the `union all` of every branch that exists. A provider's migration creates its
-- branches and calls wearhouse_union_view('<view>'): no migration has to restate another provider's
-- SQL, so providers added in any order compose (docs/views.md, "How a provider adds its branch").
-- Every branch of a view has the same columns, in the same order and of the same types.

create or replace function wearhouse_union_view(view_name text) returns void
  language plpgsql as $$
declare
  branches text;
begin
  select string_agg(format('select * from %I', c.relname), ' union all ' order by c.relname)
    into branches
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = current_schema()
     and c.relkind = 'v'
     and c.relname ~ ('^' || view_name || '__[a-z0-9_]+$');
  if branches is null then
    raise exception 'view % has no provider branch (%__<provider>)', view_name, view_name;
  end if;
  execute format('create or replace view %I as %s', view_name, branches);
  execute format('grant select on %I to wearhouse_grafana', view_name);
end;
$$;

-- WHOOP's branches: the definitions of sql/005_views.sql, unchanged.
create view sleeps__whoop as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.start_at,
    r.end_at,
    r.tz_offset,
    wearhouse_local(r.start_at, r.tz_offset) as start_local,
    wearhouse_local(r.end_at, r.tz_offset) as end_local,
    wearhouse_local(r.end_at, r.tz_offset)::date as day,
    coalesce((r.payload ->> 'nap')::boolean, false) as is_nap,
    r.payload ->> 'score_state' as score_state,
    r.payload ->> 'cycle_id' as cycle_source_id,
    (st ->> 'total_in_bed_time_milli')::float8 / 3600000 as in_bed_h,
    ((st ->> 'total_light_sleep_time_milli')::float8 + (st ->> 'total_slow_wave_sleep_time_milli')::float8
      + (st ->> 'total_rem_sleep_time_milli')::float8) / 3600000 as asleep_h,
    (st ->> 'total_awake_time_milli')::float8 / 3600000 as awake_h,
    (st ->> 'total_light_sleep_time_milli')::float8 / 3600000 as light_h,
    (st ->> 'total_slow_wave_sleep_time_milli')::float8 / 3600000 as deep_h,
    (st ->> 'total_rem_sleep_time_milli')::float8 / 3600000 as rem_h,
    (st ->> 'total_no_data_time_milli')::float8 / 3600000 as no_data_h,
    (st ->> 'sleep_cycle_count')::int as sleep_cycles,
    (st ->> 'disturbance_count')::int as disturbances,
    (sc ->> 'respiratory_rate')::float8 as respiratory_rate_bpm,
    (sc ->> 'sleep_performance_percentage')::float8 as performance_pct,
    (sc ->> 'sleep_consistency_percentage')::float8 as consistency_pct,
    (sc ->> 'sleep_efficiency_percentage')::float8 as efficiency_pct,
    ((nd ->> 'baseline_milli')::float8 + (nd ->> 'need_from_sleep_debt_milli')::float8
      + (nd ->> 'need_from_recent_strain_milli')::float8 + (nd ->> 'need_from_recent_nap_milli')::float8)
      / 3600000 as need_h,
    (nd ->> 'need_from_sleep_debt_milli')::float8 / 3600000 as debt_h,
    r.provider_updated_at as updated_at
  from records r
  cross join lateral (
    select r.payload -> 'score' as sc, r.payload -> 'score' -> 'stage_summary' as st,
      r.payload -> 'score' -> 'sleep_needed' as nd
  ) p
  where r.provider = 'whoop' and r.kind = 'sleep' and r.deleted_at is null;
select wearhouse_union_view('sleeps');

create view cycles__whoop as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.start_at,
    r.end_at,
    r.tz_offset,
    wearhouse_local(r.start_at, r.tz_offset) as start_local,
    wearhouse_cycle_day(r.start_at, r.tz_offset) as day,
    r.end_at is null as is_current,
    extract(epoch from coalesce(r.end_at, now()) - r.start_at)::float8 / 3600 as duration_h,
    r.payload ->> 'score_state' as score_state,
    (r.payload -> 'score' ->> 'strain')::float8 as strain,
    (r.payload -> 'score' ->> 'kilojoule')::float8 as energy_kj,
    (r.payload -> 'score' ->> 'kilojoule')::float8 / 4.184 as energy_kcal,
    (r.payload -> 'score' ->> 'average_heart_rate')::int as avg_hr_bpm,
    (r.payload -> 'score' ->> 'max_heart_rate')::int as max_hr_bpm,
    r.provider_updated_at as updated_at
  from records r
  where r.provider = 'whoop' and r.kind = 'cycle' and r.deleted_at is null;
select wearhouse_union_view('cycles');

create view recoveries__whoop as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.payload ->> 'cycle_id' as cycle_source_id,
    r.payload ->> 'sleep_id' as sleep_source_id,
    coalesce(c.start_at, r.start_at, s.end_at, (r.payload ->> 'created_at')::timestamptz) as start_at,
    coalesce(c.end_at, r.end_at) as end_at,
    coalesce(s.end_at, (r.payload ->> 'created_at')::timestamptz) as scored_at,
    coalesce(c.tz_offset, s.tz_offset, r.tz_offset) as tz_offset,
    -- A recovery whose cycle row is not joined (deleted, not stored yet) falls back to the cycle's day
    -- (start + 12 h) of the cycle times it keeps, not to the start's date (evening cycles, sql/008).
    coalesce(
      wearhouse_cycle_day(c.start_at, c.tz_offset),
      wearhouse_cycle_day(r.start_at, r.tz_offset),
      wearhouse_local(s.end_at, s.tz_offset)::date,
      wearhouse_local((r.payload ->> 'created_at')::timestamptz, r.tz_offset)::date
    ) as day,
    r.payload ->> 'score_state' as score_state,
    (r.payload -> 'score' ->> 'user_calibrating')::boolean as user_calibrating,
    (r.payload -> 'score' ->> 'recovery_score')::float8 as recovery_pct,
    -- WHOOP's bands: 0-33 red, 34-66 yellow, 67-100 green.
    case
      when (r.payload -> 'score' ->> 'recovery_score') is null then null
      when (r.payload -> 'score' ->> 'recovery_score')::float8 < 34 then 'red'
      when (r.payload -> 'score' ->> 'recovery_score')::float8 < 67 then 'yellow'
      else 'green'
    end as band,
    (r.payload -> 'score' ->> 'hrv_rmssd_milli')::float8 as hrv_ms,
    (r.payload -> 'score' ->> 'resting_heart_rate')::float8 as resting_hr_bpm,
    (r.payload -> 'score' ->> 'spo2_percentage')::float8 as spo2_pct,
    (r.payload -> 'score' ->> 'skin_temp_celsius')::float8 as skin_temp_c,
    r.provider_updated_at as updated_at
  from records r
  left join records c
    on c.provider = r.provider and c.user_id = r.user_id and c.kind = 'cycle'
    and c.source_id = r.payload ->> 'cycle_id' and c.deleted_at is null
  left join records s
    on s.provider = r.provider and s.user_id = r.user_id and s.kind = 'sleep'
    and s.source_id = r.payload ->> 'sleep_id' and s.deleted_at is null
  where r.provider = 'whoop' and r.kind = 'recovery' and r.deleted_at is null;
select wearhouse_union_view('recoveries');

create view workouts__whoop as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.start_at,
    r.end_at,
    r.tz_offset,
    wearhouse_local(r.start_at, r.tz_offset) as start_local,
    wearhouse_local(r.start_at, r.tz_offset)::date as day,
    r.payload ->> 'sport_name' as sport,
    (r.payload ->> 'sport_id')::int as sport_id,
    extract(epoch from r.end_at - r.start_at)::float8 / 60 as duration_min,
    r.payload ->> 'score_state' as score_state,
    (sc ->> 'strain')::float8 as strain,
    (sc ->> 'average_heart_rate')::int as avg_hr_bpm,
    (sc ->> 'max_heart_rate')::int as max_hr_bpm,
    (sc ->> 'kilojoule')::float8 as energy_kj,
    (sc ->> 'kilojoule')::float8 / 4.184 as energy_kcal,
    (sc ->> 'percent_recorded')::float8 as recorded_pct,
    (sc ->> 'distance_meter')::float8 as distance_m,
    (sc ->> 'altitude_gain_meter')::float8 as altitude_gain_m,
    (sc ->> 'altitude_change_meter')::float8 as altitude_change_m,
    (z ->> 'zone_zero_milli')::float8 / 60000 as zone0_min,
    (z ->> 'zone_one_milli')::float8 / 60000 as zone1_min,
    (z ->> 'zone_two_milli')::float8 / 60000 as zone2_min,
    (z ->> 'zone_three_milli')::float8 / 60000 as zone3_min,
    (z ->> 'zone_four_milli')::float8 / 60000 as zone4_min,
    (z ->> 'zone_five_milli')::float8 / 60000 as zone5_min,
    r.provider_updated_at as updated_at
  from records r
  cross join lateral (select r.payload -> 'score' as sc, r.payload -> 'score' -> 'zone_durations' as z) p
  where r.provider = 'whoop' and r.kind = 'workout' and r.deleted_at is null;
select wearhouse_union_view('workouts');
