-- Apple Health views (conventions of 005_views.sql: user_id, provider, source_id, time columns,
-- units in column names, `day` = the wearer's local day, deleted rows hidden, plus `source`: the
-- device/app that measured it). The shared views (sleeps, workouts, daily_summary) get Apple Health
-- branches when they are rebuilt with every provider's branch; until then these views carry the same
-- columns so that union is one `select … from apple_health_*` per view.

-- Panels filter one user's samples of one type over time (heart rate alone is ~100k rows a year).
create index if not exists records_apple_health_type_start
  on records (user_id, (payload ->> 'type'), start_at)
  where provider = 'apple_health' and kind = 'record' and deleted_at is null;

-- One row per quantity sample (a record with a numeric value), whatever its type. A provider that
-- stores samples adds its own `union all` branch.
create or replace view samples as
  select
    r.user_id,
    r.provider,
    r.source,
    r.source_id,
    r.payload ->> 'type' as type,
    r.start_at,
    r.end_at,
    r.tz_offset,
    (r.payload ->> 'value')::float8 as value,
    r.payload ->> 'unit' as unit,
    r.local_day as day
  from records r
  where r.provider = 'apple_health' and r.kind = 'record' and r.deleted_at is null
    and jsonb_typeof(r.payload -> 'value') = 'number';

-- Sleep stages (HKCategoryTypeIdentifierSleepAnalysis) grouped into one sleep per source and night.
-- A night belongs to the day the wearer woke up: stages ending before 18:00 local count for that
-- day, later ones for the next ((end + 6 h)::date). Stage names: AsleepCore = light, AsleepDeep =
-- deep, AsleepREM = rem, Asleep/AsleepUnspecified count as asleep only; InBed is time in bed.
create or replace view apple_health_sleeps as
  with stages as (
    select
      r.user_id, r.source, r.start_at, r.end_at, r.tz_offset,
      replace(r.payload ->> 'value', 'HKCategoryValueSleepAnalysis', '') as stage,
      extract(epoch from r.end_at - r.start_at)::float8 / 3600 as hours,
      (wearhouse_local(r.end_at, r.tz_offset) + interval '6 hours')::date as day
    from records r
    where r.provider = 'apple_health' and r.kind = 'record' and r.deleted_at is null
      and r.payload ->> 'type' = 'HKCategoryTypeIdentifierSleepAnalysis'
  )
  select
    'apple_health'::text as provider,
    user_id,
    md5(user_id || '|' || coalesce(source, '') || '|' || day::text) as source_id,
    source,
    min(start_at) as start_at,
    max(end_at) as end_at,
    (array_agg(tz_offset order by end_at desc))[1] as tz_offset,
    wearhouse_local(min(start_at), (array_agg(tz_offset order by end_at desc))[1]) as start_local,
    wearhouse_local(max(end_at), (array_agg(tz_offset order by end_at desc))[1]) as end_local,
    day,
    false as is_nap,
    coalesce(sum(hours) filter (where stage = 'InBed'),
             extract(epoch from max(end_at) - min(start_at))::float8 / 3600) as in_bed_h,
    coalesce(sum(hours) filter (where stage like 'Asleep%'), 0) as asleep_h,
    coalesce(sum(hours) filter (where stage = 'Awake'), 0) as awake_h,
    sum(hours) filter (where stage = 'AsleepCore') as light_h,
    sum(hours) filter (where stage = 'AsleepDeep') as deep_h,
    sum(hours) filter (where stage = 'AsleepREM') as rem_h,
    (count(*) filter (where stage = 'Awake'))::int as disturbances
  from stages
  group by user_id, source, day;

-- Workouts with the totals modern exports keep in WorkoutStatistics (energy, distance, heart rate).
create or replace view apple_health_workouts as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.source,
    r.start_at,
    r.end_at,
    r.tz_offset,
    wearhouse_local(r.start_at, r.tz_offset) as start_local,
    wearhouse_local(r.start_at, r.tz_offset)::date as day,
    replace(r.payload ->> 'workoutActivityType', 'HKWorkoutActivityType', '') as sport,
    extract(epoch from r.end_at - r.start_at)::float8 / 60 as duration_min,
    e.kcal as energy_kcal,
    e.kcal * 4.184 as energy_kj,
    d.metres as distance_m,
    (st -> 'HKQuantityTypeIdentifierHeartRate' ->> 'average')::float8 as avg_hr_bpm,
    (st -> 'HKQuantityTypeIdentifierHeartRate' ->> 'maximum')::float8 as max_hr_bpm,
    jsonb_array_length(coalesce(r.payload -> 'routes', '[]'::jsonb)) > 0 as has_route
  from records r
  cross join lateral (select r.payload -> 'statistics' as st) s
  cross join lateral (
    select case lower(st -> 'HKQuantityTypeIdentifierActiveEnergyBurned' ->> 'unit')
        when 'kj' then (st -> 'HKQuantityTypeIdentifierActiveEnergyBurned' ->> 'sum')::float8 / 4.184
        else (st -> 'HKQuantityTypeIdentifierActiveEnergyBurned' ->> 'sum')::float8
      end as kcal
  ) e
  cross join lateral (
    select sum(case lower(x.value ->> 'unit')
        when 'km' then (x.value ->> 'sum')::float8 * 1000
        when 'mi' then (x.value ->> 'sum')::float8 * 1609.344
        when 'yd' then (x.value ->> 'sum')::float8 * 0.9144
        when 'ft' then (x.value ->> 'sum')::float8 * 0.3048
        else (x.value ->> 'sum')::float8
      end) as metres
    from jsonb_each(coalesce(st, '{}'::jsonb)) x
    where x.key like 'HKQuantityTypeIdentifierDistance%'
  ) d
  where r.provider = 'apple_health' and r.kind = 'workout' and r.deleted_at is null;

-- One row per user and local day. Steps and active energy are counted by several sources at once
-- (the phone and the watch see the same walk): the day's figure is the source with the most, as
-- a sum over sources would count the walk twice.
create or replace view apple_health_daily as
  with per_source as (
    select user_id, day, source, type, sum(value) as total, avg(value) as mean, count(*) as n
    from samples
    where provider = 'apple_health'
      and type in ('HKQuantityTypeIdentifierStepCount', 'HKQuantityTypeIdentifierActiveEnergyBurned',
                   'HKQuantityTypeIdentifierRestingHeartRate', 'HKQuantityTypeIdentifierHeartRateVariabilitySDNN',
                   'HKQuantityTypeIdentifierHeartRate')
    group by user_id, day, source, type
  ), per_day as (
    select user_id, day,
      max(total) filter (where type = 'HKQuantityTypeIdentifierStepCount') as steps,
      max(total) filter (where type = 'HKQuantityTypeIdentifierActiveEnergyBurned') as active_energy_kcal,
      sum(mean * n) filter (where type = 'HKQuantityTypeIdentifierRestingHeartRate')
        / nullif(sum(n) filter (where type = 'HKQuantityTypeIdentifierRestingHeartRate'), 0) as resting_hr_bpm,
      sum(mean * n) filter (where type = 'HKQuantityTypeIdentifierHeartRateVariabilitySDNN')
        / nullif(sum(n) filter (where type = 'HKQuantityTypeIdentifierHeartRateVariabilitySDNN'), 0) as hrv_ms,
      sum(mean * n) filter (where type = 'HKQuantityTypeIdentifierHeartRate')
        / nullif(sum(n) filter (where type = 'HKQuantityTypeIdentifierHeartRate'), 0) as avg_hr_bpm
    from per_source
    group by user_id, day
  ), sleep as (
    select user_id, day, max(asleep_h) as sleep_h, max(in_bed_h) as in_bed_h
    from apple_health_sleeps group by user_id, day
  ), workout as (
    select user_id, day, count(*)::int as workout_count, sum(duration_min) as workout_min,
      sum(energy_kcal) as workout_energy_kcal
    from apple_health_workouts group by user_id, day
  ), rings as (
    select user_id, local_day as day,
      (payload ->> 'activeEnergyBurned')::float8 as move_kcal,
      (payload ->> 'appleExerciseTime')::float8 as exercise_min,
      (payload ->> 'appleStandHours')::float8 as stand_h
    from records
    where provider = 'apple_health' and kind = 'activity_summary' and deleted_at is null
  )
  select
    'apple_health'::text as provider,
    user_id,
    day,
    p.steps,
    p.active_energy_kcal,
    p.active_energy_kcal * 4.184 as active_energy_kj,
    p.resting_hr_bpm,
    p.hrv_ms,
    p.avg_hr_bpm,
    s.sleep_h,
    s.in_bed_h,
    coalesce(w.workout_count, 0) as workout_count,
    coalesce(w.workout_min, 0) as workout_min,
    w.workout_energy_kcal,
    g.move_kcal,
    g.exercise_min,
    g.stand_h
  from per_day p
  full join sleep s using (user_id, day)
  full join workout w using (user_id, day)
  full join rings g using (user_id, day);

grant select on samples, apple_health_sleeps, apple_health_workouts, apple_health_daily to wearhouse_grafana;
