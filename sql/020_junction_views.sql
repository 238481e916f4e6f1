-- Junction in the typed views (docs/junction.md). Junction aggregates many sources (Oura, Garmin,
-- Apple Health…): every Junction row carries `source`, the device or app that measured it.
--
-- Junction's measures live in detail views of its own (junction_sleeps, junction_workouts,
-- junction_daily_activity, junction_body, junction_heart_rate). wearhouse_add_view_branch then
-- makes a branch `<typed view>__junction` of a typed view from one of them, matching the typed
-- view's columns by name (null where Junction has no such measure) and casting to its types, and
-- puts the branch into the typed view:
--   * typed views made of `<view>__<provider>` branches (one view per provider, the typed view
--     their union, rebuilt by wearhouse_union_view where that function exists) get one more branch;
--   * a typed view written as one query gets the branch appended with UNION ALL;
--   * a typed view that does not exist yet is created from the branch alone.
-- Typed views gain a `source` column (null for the branches already there) when they lack one.
-- Each step reads the catalog as it is, so branches other migrations add, before or after this
-- one, are kept.

-- The typed view's columns as a select list over `b`, by name: b.col::type, or null::type.
create or replace function wearhouse_branch_select_list(typed_view text, detail_view text) returns text
  language sql stable as $$
  select string_agg(
           case when b.attname is null
                then format('null::%s as %I', format_type(v.atttypid, v.atttypmod), v.attname)
                else format('b.%I::%s as %I', v.attname, format_type(v.atttypid, v.atttypmod), v.attname) end,
           ', ' order by v.attnum)
  from pg_attribute v
  left join pg_attribute b on b.attrelid = detail_view::regclass and b.attname = v.attname
    and b.attnum > 0 and not b.attisdropped
  where v.attrelid = typed_view::regclass and v.attnum > 0 and not v.attisdropped
$$;

create or replace function wearhouse_add_view_branch(typed_view text, provider text, detail_view text)
  returns void language plpgsql as $$
declare
  branch text := typed_view || '__' || provider;
  other record;
  others boolean;
  has_union boolean := to_regprocedure('wearhouse_union_view(text)') is not null;
  definition text;
begin
  if to_regclass(typed_view) is null then
    execute format('create view %I as select * from %I', branch, detail_view);
    execute format('create view %I as select * from %I', typed_view, branch);
    execute format('grant select on %I, %I to wearhouse_grafana', branch, typed_view);
    return;
  end if;
  select exists (select 1 from pg_class c where c.relkind = 'v' and c.relname like typed_view || '\_\_%'
                   and c.relname <> branch and c.relnamespace = to_regnamespace(current_schema()))
    into others;
  -- `source` first, on every existing branch (or on the one-query typed view itself).
  if not exists (select 1 from pg_attribute where attrelid = typed_view::regclass and attname = 'source'
                   and attnum > 0 and not attisdropped) then
    if others then
      for other in
        select c.relname from pg_class c
        where c.relkind = 'v' and c.relname like typed_view || '\_\_%' and c.relname <> branch
          and c.relnamespace = to_regnamespace(current_schema())
      loop
        execute format('create or replace view %I as select existing.*, null::text as source from (%s) existing',
          other.relname, rtrim(pg_get_viewdef(other.relname::regclass), E'; \n'));
      end loop;
      if has_union then
        perform wearhouse_union_view(typed_view);
      end if;
    else
      execute format('create or replace view %I as select existing.*, null::text as source from (%s) existing',
        typed_view, rtrim(pg_get_viewdef(typed_view::regclass), E'; \n'));
    end if;
  end if;
  if to_regclass(branch) is null then
    execute format('create view %I as select %s from %I b',
      branch, wearhouse_branch_select_list(typed_view, detail_view), detail_view);
    execute format('grant select on %I to wearhouse_grafana', branch);
  end if;
  if others and has_union then
    perform wearhouse_union_view(typed_view);
    return;
  end if;
  definition := rtrim(pg_get_viewdef(typed_view::regclass), E'; \n');
  if definition !~ ('\m' || branch || '\M') then
    execute format('create or replace view %I as %s union all select * from %I', typed_view, definition, branch);
  end if;
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

select wearhouse_add_view_branch('sleeps', 'junction', 'junction_sleeps');
select wearhouse_add_view_branch('workouts', 'junction', 'junction_workouts');

-- Daily activity: one row per source and local day. Column names follow the other providers'
-- daily_activity branches where the measure is the same (intensity minutes, energy in kcal and kJ).
create view junction_daily_activity as
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

create view junction_body as
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
create view junction_heart_rate as
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

select wearhouse_add_view_branch('daily_activity', 'junction', 'junction_daily_activity');
select wearhouse_add_view_branch('body_measurements', 'junction', 'junction_body');
select wearhouse_add_view_branch('heart_rate', 'junction', 'junction_heart_rate');

grant select on junction_sleeps, junction_workouts, junction_daily_activity, junction_body, junction_heart_rate
  to wearhouse_grafana;
