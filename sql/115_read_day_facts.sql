-- The read API's one statement per /daily request (docs/read-api.md, "Measured"), as a function
-- whose plan is made once per connection.
--
-- Sent from serve as a prepared statement, Postgres planned it again on every execution: a
-- statement's first five runs get custom plans, and the generic plan never looked cheaper than
-- them (its estimates for the day series and the ranges are defaults), so every run kept a custom
-- plan — ~5 ms to plan against ~1.5 ms to run, and planning was most of Postgres' CPU per request
-- (bench/READ-API.md). Every part of the statement is an index range on (user, day) or a small
-- per-user lookup whatever the parameters, so one generic plan fits every call: the function
-- forces it (plan_cache_mode applies while the function runs; PL/pgSQL keeps the plan for the
-- session).
--
-- What it returns, per the arguments (serve/read-days.ts builds the gates):
--   user_exists      the user is in users
--   active_providers the gates' providers the user has an active connection to
--   coverage_days    per gate provider with an active connection and per day: covered (every kind's
--                    span [D − 1, D + 1) cut at p_now is in the ledger: final spans, or any span when it
--                    ends after the provider's finality boundary) and final (final spans only)
--   record_days      records per provider and local day (live rows)
--   measure_days     the stored daily_health rows of the days
--   recent_failures  read_fetch_failures younger than p_failure_hold_s, with seconds left
-- p_kinds holds each gate's kinds comma-joined; p_final_before each gate's finality boundary.
create function wearhouse_read_day_facts(
  p_user text,
  p_from date,
  p_to date,
  p_providers text[],
  p_kinds text[],
  p_final_before timestamptz[],
  p_now timestamptz,
  p_failure_hold_s integer
) returns table (
  user_exists boolean,
  active_providers text[],
  coverage_days json,
  record_days json,
  measure_days json,
  recent_failures json
)
  language plpgsql stable
  set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
  return query
  select
    exists (select from users where id = p_user),
    (select array_agg(cn.provider order by cn.provider) from connections cn
      where cn.user_id = p_user and cn.status = 'active' and cn.provider = any(p_providers)),
    (select json_agg(c order by c.day, c.provider) from (
      with gate_kinds as (
        select g.provider, k.kind, g.final_before
        from unnest(p_providers, p_kinds, p_final_before) as g(provider, kinds, final_before)
        join connections cn on cn.user_id = p_user and cn.provider = g.provider and cn.status = 'active'
        cross join lateral unnest(string_to_array(g.kinds, ',')) as k(kind)
      ),
      spans as (
        select gk.provider, gk.kind, gk.final_before,
          coalesce(range_agg(cv.span) filter (where cv.final), '{}'::tstzmultirange) as final_spans,
          coalesce(range_agg(cv.span), '{}'::tstzmultirange) as any_spans
        from gate_kinds gk
        left join coverage cv on cv.provider = gk.provider and cv.user_id = p_user and cv.kind = gk.kind
          and cv.span && tstzrange((p_from - 1)::timestamp at time zone 'UTC',
                                   (p_to + 1)::timestamp at time zone 'UTC')
        group by 1, 2, 3
      ),
      needed as (
        select s.provider, d::date as day, s.final_before, s.final_spans, s.any_spans,
          tstzrange((d::date - 1)::timestamp at time zone 'UTC',
                    least((d::date + 1)::timestamp at time zone 'UTC', p_now), '[)') as span
        from spans s
        cross join generate_series(p_from, p_to, interval '1 day') as d
      )
      select n.provider, n.day::text as day,
        bool_and(n.final_spans @> n.span
                 or (upper(n.span) > n.final_before and n.any_spans @> n.span)) as covered,
        bool_and(n.final_spans @> n.span) as final
      from needed n
      group by n.provider, n.day) c),
    (select json_agg(r) from (
      select rc.provider, rc.local_day::text as day, count(*)::int as records
      from records rc
      where rc.user_id = p_user and rc.local_day between p_from and p_to and rc.deleted_at is null
      group by rc.provider, rc.local_day) r),
    (select json_agg(h) from (
      select dh.day::text as day,
        dh.sleep_min::float8, dh.in_bed_min::float8, dh.deep_min::float8, dh.rem_min::float8,
        dh.light_min::float8, dh.awake_min::float8, dh.sleep_efficiency_pct::float8,
        dh.recovery_score::float8, dh.hrv_ms::float8, dh.resting_hr_bpm::float8, dh.steps::float8,
        dh.active_energy_kcal::float8, dh.total_energy_kcal::float8, dh.workout_count::int,
        dh.workout_min::float8
      from daily_health dh
      where dh.user_id = p_user and dh.day between p_from and p_to) h),
    (select json_agg(f) from (
      select ff.provider, ff.error_type as "errorType", ff.reason,
        to_char(ff.failed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "failedAt",
        greatest(1, ceil(extract(epoch from
          ff.failed_at + make_interval(secs => p_failure_hold_s) - p_now)))::int as "retryAfterS"
      from read_fetch_failures ff
      where ff.user_id = p_user
        and ff.failed_at > p_now - make_interval(secs => p_failure_hold_s)) f);
end;
$$;
