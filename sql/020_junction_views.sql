-- Junction in the typed views (docs/junction.md). Junction aggregates many sources (Oura, Garmin,
-- Apple Health…): every Junction row carries `source`, the device or app that measured it.
--
-- Provider branches are composed, not restated: wearhouse_add_view_branch appends a provider's
-- branch view to a typed view with UNION ALL, matching the typed view's columns by name (null where
-- the branch has no such measure) and casting to the typed view's types. It reads the typed view's
-- current definition, so branches added by other migrations (before or after this one) are kept
-- whatever order they run in. A branch column the typed view lacks (here `source`) is first added
-- to the typed view, null for the branches already there.

create or replace function wearhouse_add_view_branch(typed_view text, branch_view text) returns void
  language plpgsql as $$
declare
  definition text := rtrim(pg_get_viewdef(typed_view::regclass), E'; \n');
  missing record;
  select_list text;
begin
  if definition ~ ('\m' || branch_view || '\M') then
    return; -- already a branch
  end if;
  -- Columns only the branch has: appended to the typed view first (create or replace view may add
  -- columns at the end), null for the existing rows.
  for missing in
    select b.attname, format_type(b.atttypid, b.atttypmod) as type
    from pg_attribute b
    where b.attrelid = branch_view::regclass and b.attnum > 0 and not b.attisdropped
      and not exists (select 1 from pg_attribute v where v.attrelid = typed_view::regclass
                        and v.attname = b.attname and v.attnum > 0 and not v.attisdropped)
    order by b.attnum
  loop
    execute format('create or replace view %I as select existing.*, null::%s as %I from (%s) existing',
      typed_view, missing.type, missing.attname, definition);
    definition := rtrim(pg_get_viewdef(typed_view::regclass), E'; \n');
  end loop;
  select string_agg(
           case when b.attname is null then format('null::%s as %I', format_type(v.atttypid, v.atttypmod), v.attname)
                else format('b.%I::%s as %I', v.attname, format_type(v.atttypid, v.atttypmod), v.attname) end,
           ', ' order by v.attnum)
    into select_list
  from pg_attribute v
  left join pg_attribute b on b.attrelid = branch_view::regclass and b.attname = v.attname
    and b.attnum > 0 and not b.attisdropped
  where v.attrelid = typed_view::regclass and v.attnum > 0 and not v.attisdropped;
  execute format('create or replace view %I as %s union all select %s from %I b',
    typed_view, definition, select_list, branch_view);
end;
$$;

-- Sleeps: stage durations are seconds. A sleep belongs to its calendar_date (the wake-up day).
-- `performance_pct` carries Junction's sleep score (0-100) and `efficiency_pct` its efficiency.
create view junction_sleeps as
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
create view junction_workouts as
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

select wearhouse_add_view_branch('sleeps', 'junction_sleeps');
select wearhouse_add_view_branch('workouts', 'junction_workouts');

-- Kinds no typed view had before: one row per source and local day.
create view daily_activity as
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
    (r.payload ->> 'calories_active')::float8 as active_kcal,
    (r.payload ->> 'calories_total')::float8 as total_kcal,
    (r.payload ->> 'floors_climbed')::int as floors,
    (r.payload ->> 'low')::float8 as low_intensity_min,
    (r.payload ->> 'medium')::float8 as medium_intensity_min,
    (r.payload ->> 'high')::float8 as high_intensity_min,
    (r.payload -> 'heart_rate' ->> 'resting_bpm')::float8 as resting_hr_bpm,
    r.provider_updated_at as updated_at
  from records r
  where r.provider = 'junction' and r.kind = 'activity' and r.deleted_at is null;

create view body_measurements as
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

-- The opt-in heart-rate series: one row per sample.
create view heart_rate_samples as
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

grant select on junction_sleeps, junction_workouts, daily_activity, body_measurements, heart_rate_samples
  to wearhouse_grafana;
