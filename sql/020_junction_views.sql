-- Junction in the typed views (docs/junction.md). Junction aggregates many sources (Oura, Garmin,
-- Apple Health…): every Junction row carries `source`, the device or app that measured it.
--
-- Junction's branches of the typed views (`<view>__junction`); wearhouse_union_view (sql/019)
-- rebuilds each typed view from every provider's branch, matching columns by name, so branches of
-- other providers compose whatever order their migrations run in.


-- Sleeps: stage durations are seconds. A sleep belongs to its calendar_date (the wake-up day).
-- `performance_pct` carries Junction's sleep score (0-100) and `efficiency_pct` its efficiency.
create view sleeps__junction as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.source,
    r.start_at,
    r.end_at,
    r.tz_offset,
    wearhouse_local(r.start_at, r.tz_offset) as start_local,
    wearhouse_local(r.end_at, r.tz_offset) as end_local,
    r.local_day as day,
    coalesce(r.payload ->> 'type' in ('short_sleep', 'acknowledged_nap'), false) as is_nap,
    r.payload ->> 'state' as score_state,
    (r.payload ->> 'duration')::float8 / 3600 as in_bed_h,
    (r.payload ->> 'total')::float8 / 3600 as asleep_h,
    (r.payload ->> 'awake')::float8 / 3600 as awake_h,
    (r.payload ->> 'light')::float8 / 3600 as light_h,
    (r.payload ->> 'deep')::float8 / 3600 as deep_h,
    (r.payload ->> 'rem')::float8 / 3600 as rem_h,
    (r.payload ->> 'respiratory_rate')::float8 as respiratory_rate_bpm,
    (r.payload ->> 'score')::float8 as performance_pct,
    (r.payload ->> 'efficiency')::float8 * 100 as efficiency_pct,
    (r.payload ->> 'average_hrv')::float8 as hrv_ms,
    (r.payload ->> 'hr_lowest')::float8 as lowest_hr_bpm,
    (r.payload ->> 'hr_average')::float8 as avg_hr_bpm,
    (r.payload ->> 'temperature_delta')::float8 as temperature_delta_c,
    r.provider_updated_at as updated_at
  from records r
  where r.provider = 'junction' and r.kind = 'sleep' and r.deleted_at is null;

-- Workouts: calories are kilocalories, distance metres.
create view workouts__junction as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.source,
    r.start_at,
    r.end_at,
    r.tz_offset,
    wearhouse_local(r.start_at, r.tz_offset) as start_local,
    r.local_day as day,
    coalesce(r.payload -> 'sport' ->> 'name', r.payload ->> 'title') as sport,
    (r.payload -> 'sport' ->> 'id')::int as sport_id,
    extract(epoch from r.end_at - r.start_at)::float8 / 60 as duration_min,
    (r.payload ->> 'average_hr')::int as avg_hr_bpm,
    (r.payload ->> 'max_hr')::int as max_hr_bpm,
    (r.payload ->> 'calories')::float8 * 4.184 as energy_kj,
    (r.payload ->> 'calories')::float8 as energy_kcal,
    (r.payload ->> 'distance')::float8 as distance_m,
    (r.payload ->> 'total_elevation_gain')::float8 as altitude_gain_m,
    r.provider_updated_at as updated_at
  from records r
  where r.provider = 'junction' and r.kind = 'workouts' and r.deleted_at is null;

select wearhouse_union_view('sleeps');
select wearhouse_union_view('workouts');

-- Movement per source and local day: Junction's branch of daily_activity (column names as Oura's).
create view daily_activity__junction as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.source,
    r.local_day as day,
    r.start_at,
    r.end_at,
    r.tz_offset,
    (r.payload ->> 'steps')::int as steps,
    (r.payload ->> 'distance')::float8 as distance_m,
    (r.payload ->> 'calories_active')::float8 as active_energy_kcal,
    (r.payload ->> 'calories_active')::float8 * 4.184 as active_energy_kj,
    (r.payload ->> 'calories_total')::float8 as total_energy_kcal,
    (r.payload ->> 'floors_climbed')::int as floors,
    (r.payload ->> 'low')::float8 as low_activity_min,
    (r.payload ->> 'medium')::float8 as medium_activity_min,
    (r.payload ->> 'high')::float8 as high_activity_min,
    (r.payload -> 'heart_rate' ->> 'resting_bpm')::float8 as resting_hr_bpm,
    r.provider_updated_at as updated_at
  from records r
  where r.provider = 'junction' and r.kind = 'activity' and r.deleted_at is null;
select wearhouse_union_view('daily_activity');

-- Body measurements per source (weight, fat, BMI); other providers add body_measurements__<name>.
create view body_measurements__junction as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.source,
    r.local_day as day,
    r.start_at,
    (r.payload ->> 'weight')::float8 as weight_kg,
    (r.payload ->> 'fat')::float8 as fat_pct,
    (r.payload ->> 'body_mass_index')::float8 as bmi,
    r.provider_updated_at as updated_at
  from records r
  where r.provider = 'junction' and r.kind = 'body' and r.deleted_at is null;
select wearhouse_union_view('body_measurements');

-- The opt-in heart-rate series: one row per sample, in the heart_rate view beside Oura's.
create view heart_rate__junction as
  select
    r.provider,
    r.user_id,
    r.source,
    r.start_at as at,
    r.tz_offset,
    wearhouse_local(r.start_at, r.tz_offset) as at_local,
    (r.payload ->> 'value')::float8 as bpm
  from records r
  where r.provider = 'junction' and r.kind = 'heartrate' and r.deleted_at is null;
select wearhouse_union_view('heart_rate');

