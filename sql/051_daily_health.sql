-- One picture across providers (docs/sql-reference.md): daily_health_by_source has one row per
-- user, local day and device/app (provider + source), daily_health one row per user and local day
-- with each measure taken from the best-ranked source (source_preferences).
--
-- Rows come from the typed views (sleeps, recoveries, workouts, cycles, readiness, daily_activity:
-- any provider's branch flows in), from the long `samples` view through sample_measures, and from
-- "bridges" for Apple Health records no typed view carries yet (sleep stages, workouts). A bridge
-- steps aside for a user as soon as the typed view holds that provider's rows for them, so merging
-- the provider's typed branch never counts a night twice.

create view daily_health_by_source as
  with parts as (
    -- Main sleeps (naps are not the night). Minutes; efficiency as the provider scored it.
    select 'sleep' as part, s.user_id, s.day, s.provider, s.source as source,
      s.start_at, s.end_at,
      s.asleep_h * 60 as v1, s.in_bed_h * 60 as v2, s.deep_h * 60 as v3, s.rem_h * 60 as v4,
      s.light_h * 60 as v5, s.awake_h * 60 as v6, s.efficiency_pct as v7, null::text as label
    from sleeps s
    where not s.is_nap
    union all
    -- Recovery: score 0-100, HRV (RMSSD in every typed branch: WHOOP, Oura), resting HR.
    select 'recovery', r.user_id, r.day, r.provider, r.source, r.start_at, r.end_at,
      r.recovery_pct, r.hrv_ms, r.resting_hr_bpm, null, null, null, null,
      case r.provider when 'whoop' then 'WHOOP recovery' else r.provider || ' recovery' end
    from recoveries r
    union all
    select 'workout', w.user_id, w.day, w.provider, w.source, w.start_at, w.end_at,
      w.duration_min, null, null, null, null, null, null, null
    from workouts w
    union all
    -- A WHOOP cycle's energy is the whole day's expenditure (resting + active).
    select 'cycle', c.user_id, c.day, c.provider, c.source, c.start_at, c.end_at,
      c.energy_kcal, null, null, null, null, null, null, null
    from cycles c
    union all
    select m.column_name, x.user_id, x.day, x.provider, x.source, x.start_at, x.end_at,
      x.value * m.scale, null, null, null, null, null, null, null
    from samples x
    join sample_measures m on m.type = x.type and m.unit = x.unit
    union all
    -- Readiness-style daily scores (Oura readiness) with the night's HRV (RMSSD) and resting heart
    -- rate, from the typed `readiness` view (every provider's branch).
    select 'recovery', r.user_id, r.day, r.provider, r.source, r.start_at, null::timestamptz,
      r.readiness_pct, r.hrv_ms, r.resting_hr_bpm, null, null, null, null,
      initcap(r.provider) || ' readiness'
    from readiness r
    union all
    -- Daily activity documents (Oura, Junction): steps, active and total kcal.
    select 'activity', a.user_id, a.day, a.provider, a.source, a.start_at, null::timestamptz,
      a.steps::float8, a.active_energy_kcal, a.total_energy_kcal, null, null, null, null, null
    from daily_activity a
    union all
    -- Bridge: Apple Health sleep stages (one record per stage interval), until sleeps carries Apple
    -- Health for the user. A stage ending before 18:00 local belongs to that day's night, a later
    -- one to the next day's. Asleep = every Asleep* stage; in bed = InBed intervals.
    select 'sleep', r.user_id, (wearhouse_local(r.end_at, r.tz_offset) + interval '6 hours')::date,
      r.provider, r.source, r.start_at, r.end_at,
      case when st like 'Asleep%' then mins end, case when st = 'InBed' then mins end,
      case when st = 'AsleepDeep' then mins end, case when st = 'AsleepREM' then mins end,
      case when st = 'AsleepCore' then mins end, case when st = 'Awake' then mins end, null, null
    from records r
    cross join lateral (
      select replace(r.payload ->> 'value', 'HKCategoryValueSleepAnalysis', '') as st,
        extract(epoch from r.end_at - r.start_at)::float8 / 60 as mins
    ) a
    where r.provider = 'apple_health' and r.kind = 'record' and r.deleted_at is null
      and r.payload ->> 'type' = 'HKCategoryTypeIdentifierSleepAnalysis'
      and not exists (select from sleeps t where t.provider = 'apple_health' and t.user_id = r.user_id)
    union all
    -- Bridge: Apple Health workouts, until workouts carries Apple Health for the user.
    select 'workout', r.user_id, wearhouse_local(r.start_at, r.tz_offset)::date, r.provider, r.source,
      r.start_at, r.end_at, extract(epoch from r.end_at - r.start_at)::float8 / 60,
      null, null, null, null, null, null, null
    from records r
    where r.provider = 'apple_health' and r.kind = 'workout' and r.deleted_at is null
      and not exists (select from workouts t where t.provider = 'apple_health' and t.user_id = r.user_id)
  )
  select
    p.user_id,
    p.day,
    p.provider,
    p.source,
    -- Set when this source is a copy another provider wrote (WHOOP or Oura writing into HealthKit).
    min(m.origin_provider) as mirror_of,
    -- The night: durations of its parts add up (a night split in two); efficiency is the longest
    -- part's, or asleep / in bed where the provider gives none.
    min(p.start_at) filter (where p.part = 'sleep') as sleep_start_at,
    max(p.end_at) filter (where p.part = 'sleep') as sleep_end_at,
    sum(p.v1) filter (where p.part = 'sleep') as sleep_min,
    coalesce(sum(p.v2) filter (where p.part = 'sleep'),
      extract(epoch from max(p.end_at) filter (where p.part = 'sleep')
        - min(p.start_at) filter (where p.part = 'sleep'))::float8 / 60) as in_bed_min,
    sum(p.v3) filter (where p.part = 'sleep') as deep_min,
    sum(p.v4) filter (where p.part = 'sleep') as rem_min,
    sum(p.v5) filter (where p.part = 'sleep') as light_min,
    sum(p.v6) filter (where p.part = 'sleep') as awake_min,
    coalesce(
      (array_agg(p.v7 order by p.v1 desc nulls last) filter (where p.part = 'sleep' and p.v7 is not null))[1],
      100 * sum(p.v1) filter (where p.part = 'sleep') / nullif(sum(p.v2) filter (where p.part = 'sleep'), 0)
    ) as sleep_efficiency_pct,
    -- Recovery figures: the latest of the day (a traveller can have two cycles on one local day).
    (array_agg(p.v1 order by p.start_at desc nulls last) filter (where p.part = 'recovery' and p.v1 is not null))[1]
      as recovery_score,
    (array_agg(p.label order by p.start_at desc nulls last) filter (where p.part = 'recovery' and p.v1 is not null))[1]
      as recovery_score_kind,
    (array_agg(p.v2 order by p.start_at desc nulls last) filter (where p.part = 'recovery' and p.v2 is not null))[1]
      as hrv_rmssd_ms,
    avg(p.v1) filter (where p.part = 'hrv_sdnn_ms') as hrv_sdnn_ms,
    coalesce(
      (array_agg(p.v3 order by p.start_at desc nulls last) filter (where p.part = 'recovery' and p.v3 is not null))[1],
      avg(p.v1) filter (where p.part = 'resting_hr_bpm')) as resting_hr_bpm,
    coalesce(sum(p.v1) filter (where p.part = 'steps'),
      (array_agg(p.v1 order by p.start_at desc nulls last) filter (where p.part = 'activity' and p.v1 is not null))[1])
      as steps,
    coalesce(sum(p.v1) filter (where p.part = 'active_energy_kcal'),
      (array_agg(p.v2 order by p.start_at desc nulls last) filter (where p.part = 'activity' and p.v2 is not null))[1])
      as active_energy_kcal,
    coalesce(
      (array_agg(p.v1 order by p.start_at desc nulls last) filter (where p.part = 'cycle' and p.v1 is not null))[1],
      (array_agg(p.v3 order by p.start_at desc nulls last) filter (where p.part = 'activity' and p.v3 is not null))[1])
      as total_energy_kcal,
    (count(*) filter (where p.part = 'workout'))::int as workout_count,
    sum(p.v1) filter (where p.part = 'workout') as workout_min
  from parts p
  left join mirrored_sources m on m.provider = p.provider and m.source = lower(p.source)
  where p.day is not null
  group by p.user_id, p.day, p.provider, p.source;

grant select on daily_health_by_source to wearhouse_grafana;

-- One row per user and local day: each measure group from its best-ranked source that has it
-- (source_preferences), with that provider and source named next to it.
-- A mirrored copy (mirror_of) is skipped when the provider it came from has the measure that day;
-- otherwise it ranks as the better of its own provider and the one it came from, just after direct
-- sources of that rank. Equal ranks (an iPhone and a Watch): the larger value, then provider and
-- source names, so the choice is stable.
create view daily_health as
  with candidates as (
    select b.*,
      coalesce(b.hrv_rmssd_ms, b.hrv_sdnn_ms) as hrv_value,
      case when b.hrv_rmssd_ms is not null then 'RMSSD' when b.hrv_sdnn_ms is not null then 'SDNN' end as hrv_kind,
      nullif(b.workout_count, 0) as workouts_value
    from daily_health_by_source b
  ), ranked as (
    -- Each candidate's rank per measure, from one pass over the (small) preference table: the
    -- user's rows for a measure when they have any, else the defaults; 2 x rank, + 1 when only a
    -- provider-wide row (source null) matched, so a row naming the source wins a tie.
    select c.*,
      case
        when c.sleep_min is null then null
        when c.mirror_of = any(array_agg(c.provider) filter (where c.sleep_min is not null) over same_day) then null
        when c.mirror_of is not null then 2 * least(pr.sleep_own, pr.sleep_origin) + 1
        else 2 * pr.sleep_own
      end as sleep_rank,
      case
        when c.recovery_score is null then null
        when c.mirror_of = any(array_agg(c.provider) filter (where c.recovery_score is not null) over same_day) then null
        when c.mirror_of is not null then 2 * least(pr.recovery_score_own, pr.recovery_score_origin) + 1
        else 2 * pr.recovery_score_own
      end as recovery_score_rank,
      case
        when c.hrv_value is null then null
        when c.mirror_of = any(array_agg(c.provider) filter (where c.hrv_value is not null) over same_day) then null
        when c.mirror_of is not null then 2 * least(pr.hrv_own, pr.hrv_origin) + 1
        else 2 * pr.hrv_own
      end as hrv_rank,
      case
        when c.resting_hr_bpm is null then null
        when c.mirror_of = any(array_agg(c.provider) filter (where c.resting_hr_bpm is not null) over same_day) then null
        when c.mirror_of is not null then 2 * least(pr.resting_hr_own, pr.resting_hr_origin) + 1
        else 2 * pr.resting_hr_own
      end as resting_hr_rank,
      case
        when c.steps is null then null
        when c.mirror_of = any(array_agg(c.provider) filter (where c.steps is not null) over same_day) then null
        when c.mirror_of is not null then 2 * least(pr.steps_own, pr.steps_origin) + 1
        else 2 * pr.steps_own
      end as steps_rank,
      case
        when c.active_energy_kcal is null then null
        when c.mirror_of = any(array_agg(c.provider) filter (where c.active_energy_kcal is not null) over same_day) then null
        when c.mirror_of is not null then 2 * least(pr.active_energy_own, pr.active_energy_origin) + 1
        else 2 * pr.active_energy_own
      end as active_energy_rank,
      case
        when c.total_energy_kcal is null then null
        when c.mirror_of = any(array_agg(c.provider) filter (where c.total_energy_kcal is not null) over same_day) then null
        when c.mirror_of is not null then 2 * least(pr.total_energy_own, pr.total_energy_origin) + 1
        else 2 * pr.total_energy_own
      end as total_energy_rank,
      case
        when c.workouts_value is null then null
        when c.mirror_of = any(array_agg(c.provider) filter (where c.workouts_value is not null) over same_day) then null
        when c.mirror_of is not null then 2 * least(pr.workouts_own, pr.workouts_origin) + 1
        else 2 * pr.workouts_own
      end as workouts_rank
    from candidates c
    cross join lateral (
      select
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'sleep')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'sleep' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source)))
            else min(p.score) filter (where p.user_id is null and p.measure = 'sleep' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source))) end, 1000000) as sleep_own,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'sleep')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'sleep' and p.provider = c.mirror_of and (p.source is null or false))
            else min(p.score) filter (where p.user_id is null and p.measure = 'sleep' and p.provider = c.mirror_of and (p.source is null or false)) end, 1000000) as sleep_origin,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'recovery_score')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'recovery_score' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source)))
            else min(p.score) filter (where p.user_id is null and p.measure = 'recovery_score' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source))) end, 1000000) as recovery_score_own,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'recovery_score')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'recovery_score' and p.provider = c.mirror_of and (p.source is null or false))
            else min(p.score) filter (where p.user_id is null and p.measure = 'recovery_score' and p.provider = c.mirror_of and (p.source is null or false)) end, 1000000) as recovery_score_origin,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'hrv')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'hrv' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source)))
            else min(p.score) filter (where p.user_id is null and p.measure = 'hrv' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source))) end, 1000000) as hrv_own,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'hrv')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'hrv' and p.provider = c.mirror_of and (p.source is null or false))
            else min(p.score) filter (where p.user_id is null and p.measure = 'hrv' and p.provider = c.mirror_of and (p.source is null or false)) end, 1000000) as hrv_origin,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'resting_hr')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'resting_hr' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source)))
            else min(p.score) filter (where p.user_id is null and p.measure = 'resting_hr' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source))) end, 1000000) as resting_hr_own,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'resting_hr')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'resting_hr' and p.provider = c.mirror_of and (p.source is null or false))
            else min(p.score) filter (where p.user_id is null and p.measure = 'resting_hr' and p.provider = c.mirror_of and (p.source is null or false)) end, 1000000) as resting_hr_origin,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'steps')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'steps' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source)))
            else min(p.score) filter (where p.user_id is null and p.measure = 'steps' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source))) end, 1000000) as steps_own,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'steps')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'steps' and p.provider = c.mirror_of and (p.source is null or false))
            else min(p.score) filter (where p.user_id is null and p.measure = 'steps' and p.provider = c.mirror_of and (p.source is null or false)) end, 1000000) as steps_origin,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'active_energy')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'active_energy' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source)))
            else min(p.score) filter (where p.user_id is null and p.measure = 'active_energy' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source))) end, 1000000) as active_energy_own,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'active_energy')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'active_energy' and p.provider = c.mirror_of and (p.source is null or false))
            else min(p.score) filter (where p.user_id is null and p.measure = 'active_energy' and p.provider = c.mirror_of and (p.source is null or false)) end, 1000000) as active_energy_origin,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'total_energy')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'total_energy' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source)))
            else min(p.score) filter (where p.user_id is null and p.measure = 'total_energy' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source))) end, 1000000) as total_energy_own,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'total_energy')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'total_energy' and p.provider = c.mirror_of and (p.source is null or false))
            else min(p.score) filter (where p.user_id is null and p.measure = 'total_energy' and p.provider = c.mirror_of and (p.source is null or false)) end, 1000000) as total_energy_origin,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'workouts')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'workouts' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source)))
            else min(p.score) filter (where p.user_id is null and p.measure = 'workouts' and p.provider = c.provider and (p.source is null or lower(p.source) = lower(c.source))) end, 1000000) as workouts_own,
        coalesce(case when bool_or(p.user_id is not null and p.measure = 'workouts')
            then min(p.score) filter (where p.user_id is not null and p.measure = 'workouts' and p.provider = c.mirror_of and (p.source is null or false))
            else min(p.score) filter (where p.user_id is null and p.measure = 'workouts' and p.provider = c.mirror_of and (p.source is null or false)) end, 1000000) as workouts_origin
      from (
        select sp.user_id, sp.measure, sp.provider, sp.source, 2 * sp.rank + (sp.source is null)::int as score
        from source_preferences sp
        where sp.user_id is null or sp.user_id = c.user_id
      ) p
    ) pr
    window same_day as (partition by c.user_id, c.day)
  )
  select
    user_id,
    day,
    (array_agg(sleep_min order by sleep_rank, sleep_min desc, provider, source) filter (where sleep_rank is not null))[1] as sleep_min,
    (array_agg(sleep_min / 60 order by sleep_rank, sleep_min desc, provider, source) filter (where sleep_rank is not null))[1] as sleep_h,
    (array_agg(in_bed_min order by sleep_rank, sleep_min desc, provider, source) filter (where sleep_rank is not null))[1] as in_bed_min,
    (array_agg(deep_min order by sleep_rank, sleep_min desc, provider, source) filter (where sleep_rank is not null))[1] as deep_min,
    (array_agg(rem_min order by sleep_rank, sleep_min desc, provider, source) filter (where sleep_rank is not null))[1] as rem_min,
    (array_agg(light_min order by sleep_rank, sleep_min desc, provider, source) filter (where sleep_rank is not null))[1] as light_min,
    (array_agg(awake_min order by sleep_rank, sleep_min desc, provider, source) filter (where sleep_rank is not null))[1] as awake_min,
    (array_agg(sleep_efficiency_pct order by sleep_rank, sleep_min desc, provider, source) filter (where sleep_rank is not null))[1] as sleep_efficiency_pct,
    (array_agg(sleep_start_at order by sleep_rank, sleep_min desc, provider, source) filter (where sleep_rank is not null))[1] as sleep_start_at,
    (array_agg(sleep_end_at order by sleep_rank, sleep_min desc, provider, source) filter (where sleep_rank is not null))[1] as sleep_end_at,
    (array_agg(provider order by sleep_rank, sleep_min desc, provider, source) filter (where sleep_rank is not null))[1] as sleep_provider,
    (array_agg(source order by sleep_rank, sleep_min desc, provider, source) filter (where sleep_rank is not null))[1] as sleep_source,
    (array_agg(recovery_score order by recovery_score_rank, recovery_score desc, provider, source) filter (where recovery_score_rank is not null))[1] as recovery_score,
    (array_agg(recovery_score_kind order by recovery_score_rank, recovery_score desc, provider, source) filter (where recovery_score_rank is not null))[1] as recovery_score_kind,
    (array_agg(provider order by recovery_score_rank, recovery_score desc, provider, source) filter (where recovery_score_rank is not null))[1] as recovery_provider,
    (array_agg(source order by recovery_score_rank, recovery_score desc, provider, source) filter (where recovery_score_rank is not null))[1] as recovery_source,
    (array_agg(hrv_value order by hrv_rank, hrv_value desc, provider, source) filter (where hrv_rank is not null))[1] as hrv_ms,
    (array_agg(hrv_kind order by hrv_rank, hrv_value desc, provider, source) filter (where hrv_rank is not null))[1] as hrv_kind,
    (array_agg(provider order by hrv_rank, hrv_value desc, provider, source) filter (where hrv_rank is not null))[1] as hrv_provider,
    (array_agg(source order by hrv_rank, hrv_value desc, provider, source) filter (where hrv_rank is not null))[1] as hrv_source,
    (array_agg(resting_hr_bpm order by resting_hr_rank, resting_hr_bpm desc, provider, source) filter (where resting_hr_rank is not null))[1] as resting_hr_bpm,
    (array_agg(provider order by resting_hr_rank, resting_hr_bpm desc, provider, source) filter (where resting_hr_rank is not null))[1] as resting_hr_provider,
    (array_agg(source order by resting_hr_rank, resting_hr_bpm desc, provider, source) filter (where resting_hr_rank is not null))[1] as resting_hr_source,
    (array_agg(steps order by steps_rank, steps desc, provider, source) filter (where steps_rank is not null))[1] as steps,
    (array_agg(provider order by steps_rank, steps desc, provider, source) filter (where steps_rank is not null))[1] as steps_provider,
    (array_agg(source order by steps_rank, steps desc, provider, source) filter (where steps_rank is not null))[1] as steps_source,
    (array_agg(active_energy_kcal order by active_energy_rank, active_energy_kcal desc, provider, source) filter (where active_energy_rank is not null))[1] as active_energy_kcal,
    (array_agg(provider order by active_energy_rank, active_energy_kcal desc, provider, source) filter (where active_energy_rank is not null))[1] as active_energy_provider,
    (array_agg(source order by active_energy_rank, active_energy_kcal desc, provider, source) filter (where active_energy_rank is not null))[1] as active_energy_source,
    (array_agg(total_energy_kcal order by total_energy_rank, total_energy_kcal desc, provider, source) filter (where total_energy_rank is not null))[1] as total_energy_kcal,
    (array_agg(provider order by total_energy_rank, total_energy_kcal desc, provider, source) filter (where total_energy_rank is not null))[1] as total_energy_provider,
    (array_agg(source order by total_energy_rank, total_energy_kcal desc, provider, source) filter (where total_energy_rank is not null))[1] as total_energy_source,
    (array_agg(workout_count order by workouts_rank, workouts_value desc, provider, source) filter (where workouts_rank is not null))[1] as workout_count,
    (array_agg(workout_min order by workouts_rank, workouts_value desc, provider, source) filter (where workouts_rank is not null))[1] as workout_min,
    (array_agg(provider order by workouts_rank, workouts_value desc, provider, source) filter (where workouts_rank is not null))[1] as workouts_provider,
    (array_agg(source order by workouts_rank, workouts_value desc, provider, source) filter (where workouts_rank is not null))[1] as workouts_source,
    (count(*) filter (where mirror_of is null))::int as source_count
  from ranked
  group by user_id, day;

grant select on daily_health to wearhouse_grafana;
