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
 * rows (stored: an index range) and recent fetch failures, in one statement: one round trip to
 * wearhouse_read_day_facts (sql/115), whose one generic plan is made once per connection.
 *
 * A local day D needs the UTC span [D − 1 day, D + 1 day) covered (cut at now): records filed under
 * D start there whatever the wearer's zone (a cycle or a night that began the evening before).
 * Only gates whose provider the user has an active connection to count: another connection's days
 * could not be fetched, so they would stay pending for ever.
 */
export async function dayFacts(
  sql: Queryable,
  userId: string,
  range: { from: string; to: string },
  gates: readonly ProviderGate[],
  now: Date,
  failureHoldS: number,
): Promise<DayFacts> {
  // ISO text: postgres.js sends a Date array as one value, not as timestamptz[].
  const [row] = await sql<
    {
      user_exists: boolean;
      active_providers: string[] | null;
      coverage_days: ProviderDay[] | null;
      record_days: { provider: string; day: string; records: number }[] | null;
      measure_days: ({ day: string } & Measures)[] | null;
      recent_failures: FetchFailure[] | null;
    }[]
  >`
    select * from wearhouse_read_day_facts(
      ${userId}, ${range.from}::date, ${range.to}::date,
      ${gates.map((g) => g.provider)}::text[], ${gates.map((g) => g.kinds.join(','))}::text[],
      ${gates.map((g) => g.finalBefore.toISOString())}::timestamptz[],
      ${now}::timestamptz, ${failureHoldS}::int)`;
  return {
    exists: Boolean(row?.user_exists),
    activeProviders: row?.active_providers ?? [],
    coverage: row?.coverage_days ?? [],
    records: row?.record_days ?? [],
    measures: new Map((row?.measure_days ?? []).map(({ day, ...measures }) => [day, measures])),
    failures: row?.recent_failures ?? [],
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
