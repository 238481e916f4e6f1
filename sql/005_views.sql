-- Typed views over `records`: the analysts' interface and what every Grafana panel reads.
--
-- Conventions (every view):
--   * user_id, provider, source_id, and the view's time columns (start_at/end_at instants, `day`).
--   * Units are in the column name: _h hours, _min minutes, _ms milliseconds, _pct 0-100, _bpm beats
--     (or breaths) per minute, _kj kilojoules, _kcal kilocalories, _c degrees Celsius, _m metres.
--   * `day` is the wearer's local calendar day (instant shifted by the record's own tz offset, never
--     the server's zone). Sleeps belong to the day the wearer woke up; a WHOOP cycle (which begins
--     at sleep onset) belongs to the day of its waking hours, so a night's sleep, the recovery it
--     produced and that day's strain share one `day`.
--   * Soft-deleted records (deleted_at not null) are hidden.
--   * Provider-specific extraction lives in one `union all` branch per provider, keyed by
--     `r.provider`; a new provider adds its branch and fills the same columns (null where it has no
--     such measure). daily_summary is built on the typed views, so it needs no provider branch.

-- '+hh:mm' | '-hh:mm' | '+hhmm' | '+hh' | 'Z' -> interval. Parsed by hand rather than with
-- `AT TIME ZONE '-05:00'`, which Postgres reads as a POSIX zone and so inverts the sign, and rather
-- than a text::interval cast, which is only STABLE and would stop these functions being inlined.
create or replace function wearhouse_tz_offset(tz_offset text) returns interval
  language sql immutable parallel safe
  return case
    when tz_offset ~ '^[+-][0-9]{2}(:?[0-9]{2})?$' then
      (case when left(tz_offset, 1) = '-' then -1 else 1 end)
      * (substr(tz_offset, 2, 2)::int * 60 + coalesce(nullif(substr(replace(tz_offset, ':', ''), 4, 2), '')::int, 0))
      * interval '1 minute'
    else interval '0'
  end;

-- The wearer's wall-clock time for an instant.
create or replace function wearhouse_local(ts timestamptz, tz_offset text) returns timestamp
  language sql immutable parallel safe
  return (ts at time zone 'UTC') + wearhouse_tz_offset(tz_offset);

-- The local day of a WHOOP cycle. A cycle starts when the wearer falls asleep (usually between
-- 21:00 and 03:00) and runs until the next sleep, so its waking hours fall on the calendar day of
-- (start + 12 h): 23:30 on the 4th -> the 5th, 01:00 on the 5th -> the 5th.
create or replace function wearhouse_cycle_day(start_at timestamptz, tz_offset text) returns date
  language sql immutable parallel safe
  return (wearhouse_local(start_at, tz_offset) + interval '12 hours')::date;

grant execute on function wearhouse_tz_offset(text), wearhouse_local(timestamptz, text),
  wearhouse_cycle_day(timestamptz, text) to wearhouse_grafana;

-- Panels filter live rows of one user and kind by a time column; these partial indexes keep those
-- reads to that user's rows (records_user_kind_* in 001 also index deleted rows).
create index if not exists records_live_user_kind_start on records (user_id, kind, start_at)
  where deleted_at is null;
create index if not exists records_live_user_kind_end on records (user_id, kind, end_at)
  where deleted_at is null;
-- pipeline_freshness asks for the newest change per (provider, user, kind): a backward index scan.
create index if not exists records_freshness on records (provider, user_id, kind, last_changed_at);
-- The "running backfills" panel lists running runs without scanning the whole run ledger.
create index if not exists sync_runs_running on sync_runs (started_at) where status = 'running';

create view sleeps as
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

create view cycles as
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

-- A WHOOP recovery has no times of its own: it is the recovery *for* a cycle, scored when the
-- sleep that opened that cycle ends. Its start/end/day come from that cycle, falling back to the
-- sleep's end and then to the recovery's created_at when the cycle is not (yet) stored.
create view recoveries as
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
    coalesce(
      wearhouse_cycle_day(c.start_at, c.tz_offset),
      wearhouse_local(s.end_at, s.tz_offset)::date,
      r.local_day,
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

create view workouts as
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

-- One row per user, provider and local day. Built as one GROUP BY over a UNION ALL of the typed
-- views (rather than joins between grouped subqueries) so that a panel's `user_id in (...)` and
-- `day` filters are pushed down into every branch and reach the records indexes.
-- When a day has more than one cycle or recovery (time-zone travel), the latest one wins; sleep
-- figures are the main sleep's (naps excluded: they are counted separately), durations add up.
create view daily_summary as
  select
    user_id,
    provider,
    day,
    (array_agg(source_id order by start_at desc) filter (where src = 'cycle'))[1] as source_id,
    (array_agg(start_at order by start_at desc) filter (where src = 'cycle'))[1] as start_at,
    (array_agg(end_at order by start_at desc) filter (where src = 'cycle'))[1] as end_at,
    (array_agg(v1 order by start_at desc) filter (where src = 'recovery' and v1 is not null))[1] as recovery_pct,
    (array_agg(v2 order by start_at desc) filter (where src = 'recovery' and v2 is not null))[1] as hrv_ms,
    (array_agg(v3 order by start_at desc) filter (where src = 'recovery' and v3 is not null))[1] as resting_hr_bpm,
    (array_agg(v4 order by start_at desc) filter (where src = 'recovery' and v4 is not null))[1] as spo2_pct,
    (array_agg(v5 order by start_at desc) filter (where src = 'recovery' and v5 is not null))[1] as skin_temp_c,
    sum(v1) filter (where src = 'sleep') as sleep_h,
    sum(v2) filter (where src = 'sleep') as in_bed_h,
    (array_agg(v3 order by v1 desc nulls last) filter (where src = 'sleep' and v3 is not null))[1]
      as sleep_performance_pct,
    (array_agg(v4 order by v1 desc nulls last) filter (where src = 'sleep' and v4 is not null))[1]
      as sleep_efficiency_pct,
    (array_agg(v5 order by v1 desc nulls last) filter (where src = 'sleep' and v5 is not null))[1]
      as respiratory_rate_bpm,
    (count(*) filter (where src = 'nap'))::int as nap_count,
    coalesce(sum(v1) filter (where src = 'nap'), 0) as nap_h,
    (array_agg(v1 order by start_at desc) filter (where src = 'cycle' and v1 is not null))[1] as day_strain,
    (array_agg(v2 order by start_at desc) filter (where src = 'cycle' and v2 is not null))[1] as energy_kj,
    (array_agg(v2 order by start_at desc) filter (where src = 'cycle' and v2 is not null))[1] / 4.184
      as energy_kcal,
    (array_agg(v3 order by start_at desc) filter (where src = 'cycle' and v3 is not null))[1] as avg_hr_bpm,
    (count(*) filter (where src = 'workout'))::int as workout_count,
    coalesce(sum(v1) filter (where src = 'workout'), 0) as workout_min,
    coalesce(sum(v2) filter (where src = 'workout'), 0) as workout_energy_kj
  from (
    select 'cycle' as src, user_id, provider, day, source_id, start_at, end_at,
      strain as v1, energy_kj as v2, avg_hr_bpm::float8 as v3, null::float8 as v4, null::float8 as v5
    from cycles
    union all
    select 'recovery', user_id, provider, day, source_id, start_at, end_at,
      recovery_pct, hrv_ms, resting_hr_bpm, spo2_pct, skin_temp_c
    from recoveries
    union all
    select case when is_nap then 'nap' else 'sleep' end, user_id, provider, day, source_id, start_at, end_at,
      asleep_h, in_bed_h, performance_pct, efficiency_pct, respiratory_rate_bpm
    from sleeps
    union all
    select 'workout', user_id, provider, day, source_id, start_at, end_at,
      duration_min, energy_kj, null, null, null
    from workouts
  ) x
  where day is not null
  group by user_id, provider, day;

-- Per user x provider x kind: when the pipeline last succeeded, when data last changed, and how far
-- behind it is. Keys come from the pipeline tables (every kind a run, watermark or coverage span
-- exists for), not from a scan of records.
create view pipeline_freshness as
  with keys as (
    select provider, user_id, kind from sync_runs where kind is not null
    union
    select provider, user_id, kind from sync_watermarks
    union
    select provider, user_id, kind from coverage
  )
  select
    k.provider,
    k.user_id,
    k.kind,
    cs.status as connection_status,
    run.last_success_at,
    run.last_attempt_at,
    run.running,
    run.failures_24h,
    fail.finished_at as last_failure_at,
    fail.error_class as last_error_class,
    fail.error_message as last_error_message,
    w.watermark,
    rec.last_change_at,
    rec.newest_start_at,
    extract(epoch from now() - run.last_success_at)::float8 / 60 as sync_lag_min,
    extract(epoch from now() - rec.newest_start_at)::float8 / 3600 as data_lag_h
  from keys k
  left join connection_status cs on cs.provider = k.provider and cs.user_id = k.user_id
  left join sync_watermarks w on w.provider = k.provider and w.user_id = k.user_id and w.kind = k.kind
  cross join lateral (
    select
      max(s.finished_at) filter (where s.status = 'completed') as last_success_at,
      max(s.started_at) as last_attempt_at,
      coalesce(bool_or(s.status = 'running'), false) as running,
      (count(*) filter (where s.status = 'failed' and s.started_at > now() - interval '24 hours'))::int
        as failures_24h
    from sync_runs s
    where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind
  ) run
  left join lateral (
    select s.finished_at, s.error_class, s.error_message
    from sync_runs s
    where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind and s.status = 'failed'
    order by s.started_at desc
    limit 1
  ) fail on true
  cross join lateral (
    select max(r.last_changed_at) as last_change_at, max(r.start_at) as newest_start_at
    from records r
    where r.provider = k.provider and r.user_id = k.user_id and r.kind = k.kind and r.deleted_at is null
  ) rec;

grant select on sleeps, cycles, recoveries, workouts, daily_summary, pipeline_freshness to wearhouse_grafana;
