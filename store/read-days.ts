// What the read API knows about a user's local days (docs/read-api.md): per provider, whether the
// coverage ledger covers each day (and finally), how many records the day holds, and the day's
// headline measures from `daily_health` (per source from `daily_health_by_source` on request).
// Plain autocommit reads: nothing here holds a transaction.
import type { Queryable } from './db.ts';

/** A pull provider whose coverage decides a day's status, with its kinds and its finality boundary. */
export interface ProviderGate {
  provider: string;
  kinds: readonly string[];
  /** Windows ending at or before this instant can be final; later ones never are (rescore lookback). */
  finalBefore: Date;
}

export interface ProviderDay {
  provider: string;
  day: string;
  /** Every kind's span for the day is in the ledger (final spans; any span inside the lookback). */
  covered: boolean;
  /** Every kind's span for the day is covered by final spans. */
  final: boolean;
}

/**
 * A local day D needs the UTC span [D − 1 day, D + 1 day) covered (cut at now): records filed under
 * D start there whatever the wearer's zone (a cycle or a night that began the evening before).
 * Only gates whose provider the user has an active connection to count: another connection's days
 * could not be fetched, so they would stay pending for ever. A query fragment of ProviderDay rows.
 */
function coverageRows(
  sql: Queryable,
  userId: string,
  range: { from: string; to: string },
  gates: readonly ProviderGate[],
  now: Date,
) {
  const providers = gates.map((g) => g.provider);
  const kinds = gates.map((g) => g.kinds.join(','));
  // ISO text: postgres.js sends a Date array as one value, not as timestamptz[].
  const boundaries = gates.map((g) => g.finalBefore.toISOString());
  return sql`
    with gate_kinds as (
      select g.provider, k.kind, g.final_before::timestamptz as final_before
      from unnest(${providers}::text[], ${kinds}::text[], ${boundaries}::text[]) as g(provider, kinds, final_before)
      join connections cn on cn.user_id = ${userId} and cn.provider = g.provider and cn.status = 'active'
      cross join lateral unnest(string_to_array(g.kinds, ',')) as k(kind)
    ),
    spans as (
      select gk.provider, gk.kind, gk.final_before,
        coalesce(range_agg(c.span) filter (where c.final), '{}'::tstzmultirange) as final_spans,
        coalesce(range_agg(c.span), '{}'::tstzmultirange) as any_spans
      from gate_kinds gk
      left join coverage c on c.provider = gk.provider and c.user_id = ${userId} and c.kind = gk.kind
        and c.span && tstzrange((${range.from}::date - 1)::timestamp at time zone 'UTC',
                                (${range.to}::date + 1)::timestamp at time zone 'UTC')
      group by 1, 2, 3
    ),
    needed as (
      select s.provider, d::date as day, s.final_before, s.final_spans, s.any_spans,
        tstzrange((d::date - 1)::timestamp at time zone 'UTC',
                  least((d::date + 1)::timestamp at time zone 'UTC', ${now}::timestamptz), '[)') as span
      from spans s
      cross join generate_series(${range.from}::date, ${range.to}::date, interval '1 day') as d
    )
    select provider, day::text as day,
      bool_and(final_spans @> span or (upper(span) > final_before and any_spans @> span)) as covered,
      bool_and(final_spans @> span) as final
    from needed
    group by provider, day`;
}

/** Each day's coverage by every gate the user has an active connection for (polling a fetch). */
export async function coveredDays(
  sql: Queryable,
  userId: string,
  range: { from: string; to: string },
  gates: readonly ProviderGate[],
  now: Date,
): Promise<ProviderDay[]> {
  if (gates.length === 0) return [];
  return sql<ProviderDay[]>`
    select * from (${coverageRows(sql, userId, range, gates, now)}) c order by day, provider`;
}

/** A recent failure of the fetch of a user's provider (read_fetch_failures, docs/read-api.md). */
export interface FetchFailure {
  provider: string;
  errorType: string;
  reason: string;
  failedAt: string;
  /** Seconds until a read asks for those days again. */
  retryAfterS: number;
}

/** Everything /daily needs about a user's days. */
export interface DayFacts {
  exists: boolean;
  /** The gates' providers the user has an active connection to: they decide the days. */
  activeProviders: string[];
  coverage: ProviderDay[];
  records: { provider: string; day: string; records: number }[];
  measures: Map<string, Measures>;
  /** Fetch failures younger than the hold. */
  failures: FetchFailure[];
}

/**
 * The user's existence, active connections, coverage, records per provider and day, `daily_health`
 * rows (stored: an index lookup) and recent fetch failures, in one statement: one round trip, and
 * postgres.js prepares it once per connection.
 */
export async function dayFacts(
  sql: Queryable,
  userId: string,
  range: { from: string; to: string },
  gates: readonly ProviderGate[],
  now: Date,
  failureHoldS: number,
): Promise<DayFacts> {
  const [row] = await sql<
    {
      exists: boolean;
      active: string[] | null;
      coverage: ProviderDay[] | null;
      records: { provider: string; day: string; records: number }[] | null;
      measures: ({ day: string } & Measures)[] | null;
      failures: FetchFailure[] | null;
    }[]
  >`
    select
      exists (select from users where id = ${userId}) as exists,
      (select array_agg(provider order by provider) from connections
        where user_id = ${userId} and status = 'active'
          and provider = any(${gates.map((g) => g.provider)}::text[])) as active,
      (select json_agg(c order by c.day, c.provider)
        from (${coverageRows(sql, userId, range, gates, now)}) c) as coverage,
      (select json_agg(r) from (
        select provider, local_day::text as day, count(*)::int as records
        from records
        where user_id = ${userId} and local_day between ${range.from}::date and ${range.to}::date
          and deleted_at is null
        group by provider, local_day) r) as records,
      (select json_agg(h) from (
        select day::text as day,
          sleep_min::float8, in_bed_min::float8, deep_min::float8, rem_min::float8, light_min::float8,
          awake_min::float8, sleep_efficiency_pct::float8, recovery_score::float8, hrv_ms::float8,
          resting_hr_bpm::float8, steps::float8, active_energy_kcal::float8, total_energy_kcal::float8,
          workout_count::int, workout_min::float8
        from daily_health
        where user_id = ${userId} and day between ${range.from}::date and ${range.to}::date) h) as measures,
      (select json_agg(f) from (
        select provider, error_type as "errorType", reason,
          to_char(failed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "failedAt",
          greatest(1, ceil(extract(epoch from
            failed_at + make_interval(secs => ${failureHoldS}) - ${now}::timestamptz)))::int as "retryAfterS"
        from read_fetch_failures
        where user_id = ${userId}
          and failed_at > ${now}::timestamptz - make_interval(secs => ${failureHoldS})) f) as failures`;
  return {
    exists: Boolean(row?.exists),
    activeProviders: row?.active ?? [],
    coverage: row?.coverage ?? [],
    records: row?.records ?? [],
    measures: new Map((row?.measures ?? []).map(({ day, ...measures }) => [day, measures])),
    failures: row?.failures ?? [],
  };
}

/** The headline measures of a day, as `daily_health` chooses them across sources (docs/views.md). */
export const HEADLINE_MEASURES = [
  'sleep_min',
  'in_bed_min',
  'deep_min',
  'rem_min',
  'light_min',
  'awake_min',
  'sleep_efficiency_pct',
  'recovery_score',
  'hrv_ms',
  'resting_hr_bpm',
  'steps',
  'active_energy_kcal',
  'total_energy_kcal',
  'workout_count',
  'workout_min',
] as const;

export type Measures = Record<(typeof HEADLINE_MEASURES)[number], number | null>;

export type SourceMeasures = { provider: string; source: string | null } & Omit<Measures, 'hrv_ms'> & {
    hrv_rmssd_ms: number | null;
  };

/** Per provider and source: the same measures before `daily_health` picks one source per measure. */
export async function sourceMeasures(
  sql: Queryable,
  userId: string,
  range: { from: string; to: string },
): Promise<Map<string, SourceMeasures[]>> {
  const rows = await sql<({ day: string } & SourceMeasures)[]>`
    select day::text as day, provider, source,
      sleep_min::float8, in_bed_min::float8, deep_min::float8, rem_min::float8, light_min::float8,
      awake_min::float8, sleep_efficiency_pct::float8, recovery_score::float8, hrv_rmssd_ms::float8,
      resting_hr_bpm::float8, steps::float8, active_energy_kcal::float8, total_energy_kcal::float8,
      workout_count::int, workout_min::float8
    from daily_health_by_source
    where user_id = ${userId} and day between ${range.from}::date and ${range.to}::date
    order by day, provider, source`;
  const byDay = new Map<string, SourceMeasures[]>();
  for (const { day, ...row } of rows) byDay.set(day, [...(byDay.get(day) ?? []), row]);
  return byDay;
}
