-- Oura's branches of the typed views, and views of its own for what WHOOP has no counterpart for
-- (docs/views.md). Units as everywhere: seconds from Oura become _h/_min, kilocalories also _kj.
-- `day` is Oura's own day of the document (records.local_day): a night belongs to the day it ends.

-- Sleep periods. 'rest' (a false detection the user rejected) and 'deleted' are not sleeps; every
-- type but 'long_sleep' (the night) is a nap. WHOOP-only measures are null.
create view sleeps__oura as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.start_at,
    r.end_at,
    r.tz_offset,
    wearhouse_local(r.start_at, r.tz_offset) as start_local,
    wearhouse_local(r.end_at, r.tz_offset) as end_local,
    r.local_day as day,
    (r.payload ->> 'type') is distinct from 'long_sleep' as is_nap,
    null::text as score_state,
    null::text as cycle_source_id,
    (r.payload ->> 'time_in_bed')::float8 / 3600 as in_bed_h,
    (r.payload ->> 'total_sleep_duration')::float8 / 3600 as asleep_h,
    (r.payload ->> 'awake_time')::float8 / 3600 as awake_h,
    (r.payload ->> 'light_sleep_duration')::float8 / 3600 as light_h,
    (r.payload ->> 'deep_sleep_duration')::float8 / 3600 as deep_h,
    (r.payload ->> 'rem_sleep_duration')::float8 / 3600 as rem_h,
    null::float8 as no_data_h,
    null::int as sleep_cycles,
    null::int as disturbances,
    (r.payload ->> 'average_breath')::float8 as respiratory_rate_bpm,
    null::float8 as performance_pct,
    null::float8 as consistency_pct,
    (r.payload ->> 'efficiency')::float8 as efficiency_pct,
    null::float8 as need_h,
    null::float8 as debt_h,
    r.provider_updated_at as updated_at
  from records r
  where r.provider = 'oura' and r.kind = 'sleep' and r.deleted_at is null
    and coalesce(r.payload ->> 'type', '') not in ('rest', 'deleted');
select wearhouse_union_view('sleeps');

create view workouts__oura as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.start_at,
    r.end_at,
    r.tz_offset,
    wearhouse_local(r.start_at, r.tz_offset) as start_local,
    r.local_day as day,
    r.payload ->> 'activity' as sport,
    null::int as sport_id,
    extract(epoch from r.end_at - r.start_at)::float8 / 60 as duration_min,
    null::text as score_state,
    null::float8 as strain,
    null::int as avg_hr_bpm,
    null::int as max_hr_bpm,
    (r.payload ->> 'calories')::float8 * 4.184 as energy_kj,
    (r.payload ->> 'calories')::float8 as energy_kcal,
    null::float8 as recorded_pct,
    (r.payload ->> 'distance')::float8 as distance_m,
    null::float8 as altitude_gain_m,
    null::float8 as altitude_change_m,
    null::float8 as zone0_min,
    null::float8 as zone1_min,
    null::float8 as zone2_min,
    null::float8 as zone3_min,
    null::float8 as zone4_min,
    null::float8 as zone5_min,
    r.provider_updated_at as updated_at
  from records r
  where r.provider = 'oura' and r.kind = 'workout' and r.deleted_at is null;
select wearhouse_union_view('workouts');

-- Readiness per day, with the night it rests on (lowest heart rate, average HRV of the long sleep).
create view readiness__oura as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.local_day as day,
    r.start_at,
    (r.payload ->> 'score')::float8 as readiness_pct,
    (r.payload ->> 'temperature_deviation')::float8 as temperature_deviation_c,
    (r.payload ->> 'temperature_trend_deviation')::float8 as temperature_trend_deviation_c,
    n.resting_hr_bpm,
    n.hrv_ms,
    (c ->> 'activity_balance')::float8 as activity_balance_pct,
    (c ->> 'body_temperature')::float8 as body_temperature_pct,
    (c ->> 'hrv_balance')::float8 as hrv_balance_pct,
    (c ->> 'previous_day_activity')::float8 as previous_day_activity_pct,
    (c ->> 'previous_night')::float8 as previous_night_pct,
    (c ->> 'recovery_index')::float8 as recovery_index_pct,
    (c ->> 'resting_heart_rate')::float8 as resting_heart_rate_pct,
    (c ->> 'sleep_balance')::float8 as sleep_balance_pct,
    (c ->> 'sleep_regularity')::float8 as sleep_regularity_pct
  from records r
  cross join lateral (select r.payload -> 'contributors' as c) p
  left join lateral (
    select (s.payload ->> 'lowest_heart_rate')::float8 as resting_hr_bpm,
           (s.payload ->> 'average_hrv')::float8 as hrv_ms
    from records s
    where s.provider = r.provider and s.user_id = r.user_id and s.kind = 'sleep'
      and s.local_day = r.local_day and s.deleted_at is null and s.payload ->> 'type' = 'long_sleep'
    order by s.start_at desc
    limit 1
  ) n on true
  where r.provider = 'oura' and r.kind = 'daily_readiness' and r.deleted_at is null;
select wearhouse_union_view('readiness');

-- The day's sleep score and its contributors (the score of the night, not of one sleep period).
create view sleep_scores__oura as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.local_day as day,
    r.start_at,
    (r.payload ->> 'score')::float8 as sleep_score_pct,
    (c ->> 'deep_sleep')::float8 as deep_sleep_pct,
    (c ->> 'efficiency')::float8 as efficiency_pct,
    (c ->> 'latency')::float8 as latency_pct,
    (c ->> 'rem_sleep')::float8 as rem_sleep_pct,
    (c ->> 'restfulness')::float8 as restfulness_pct,
    (c ->> 'timing')::float8 as timing_pct,
    (c ->> 'total_sleep')::float8 as total_sleep_pct
  from records r
  cross join lateral (select r.payload -> 'contributors' as c) p
  where r.provider = 'oura' and r.kind = 'daily_sleep' and r.deleted_at is null;
select wearhouse_union_view('sleep_scores');

-- Movement per day (Oura's day runs from 4 a.m.). A day without the ring has no score.
create view daily_activity__oura as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.local_day as day,
    r.start_at,
    (r.payload ->> 'score')::float8 as activity_pct,
    (r.payload ->> 'steps')::int as steps,
    (r.payload ->> 'active_calories')::float8 as active_energy_kcal,
    (r.payload ->> 'active_calories')::float8 * 4.184 as active_energy_kj,
    (r.payload ->> 'total_calories')::float8 as total_energy_kcal,
    (r.payload ->> 'target_calories')::float8 as target_energy_kcal,
    (r.payload ->> 'equivalent_walking_distance')::float8 as walking_distance_m,
    (r.payload ->> 'high_activity_time')::float8 / 60 as high_activity_min,
    (r.payload ->> 'medium_activity_time')::float8 / 60 as medium_activity_min,
    (r.payload ->> 'low_activity_time')::float8 / 60 as low_activity_min,
    (r.payload ->> 'sedentary_time')::float8 / 60 as sedentary_min,
    (r.payload ->> 'resting_time')::float8 / 60 as resting_min,
    (r.payload ->> 'non_wear_time')::float8 / 60 as non_wear_min,
    (r.payload ->> 'inactivity_alerts')::int as inactivity_alerts,
    (r.payload ->> 'average_met_minutes')::float8 as average_met
  from records r
  where r.provider = 'oura' and r.kind = 'daily_activity' and r.deleted_at is null;
select wearhouse_union_view('daily_activity');

create view daily_stress__oura as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.local_day as day,
    (r.payload ->> 'stress_high')::float8 / 60 as stress_high_min,
    (r.payload ->> 'recovery_high')::float8 / 60 as recovery_high_min,
    r.payload ->> 'day_summary' as day_summary
  from records r
  where r.provider = 'oura' and r.kind = 'daily_stress' and r.deleted_at is null;
select wearhouse_union_view('daily_stress');

create view daily_spo2__oura as
  select
    r.provider,
    r.user_id,
    r.source_id,
    r.local_day as day,
    (r.payload -> 'spo2_percentage' ->> 'average')::float8 as spo2_avg_pct,
    (r.payload ->> 'breathing_disturbance_index')::float8 as breathing_disturbance_index
  from records r
  where r.provider = 'oura' and r.kind = 'daily_spo2' and r.deleted_at is null;
select wearhouse_union_view('daily_spo2');

-- Heart-rate samples (opt-in kind): the instant, beats per minute, and what the wearer was doing.
create view heart_rate__oura as
  select
    r.provider,
    r.user_id,
    r.start_at as at,
    (r.payload ->> 'bpm')::float8 as bpm,
    r.payload ->> 'source' as activity
  from records r
  where r.provider = 'oura' and r.kind = 'heartrate' and r.deleted_at is null;
select wearhouse_union_view('heart_rate');
