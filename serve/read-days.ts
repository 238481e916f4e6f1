// The read API's days (docs/read-api.md): each local day's status from the coverage ledger —
// complete (every active pull connection's kinds covered, and records), unavailable (covered, and
// the providers had nothing), pending (not covered yet: a readFetch is asked for it) — its headline
// measures, and waiting a bounded time for missing days by polling Postgres. Nothing here holds a
// transaction or a budget slot while it waits; the fetch itself runs in Temporal.
import { descriptorOf } from '../providers/catalog.ts';
import type { Queryable } from '../store/db.ts';
import {
  coveredDays,
  headlineMeasures,
  type Measures,
  type ProviderDay,
  type ProviderGate,
  recordsPerDay,
  type SourceMeasures,
  sourceMeasures,
  userConnections,
} from '../store/read-days.ts';
import type { ReadFetcher } from './read-fetcher.ts';

const DAY_MS = 86_400_000;
const POLL_MS = 200;

export type DayStatus = 'complete' | 'pending' | 'unavailable';

export interface ProviderDetail {
  provider: string;
  status: DayStatus;
  records: number;
  sources: SourceMeasures[];
}

export interface DayEntry extends Partial<Measures> {
  day: string;
  status: DayStatus;
  /** Covered by final spans only: it will not change any more (cacheable for long). */
  final: boolean;
  providers?: ProviderDetail[];
}

export interface DailyAnswer {
  days: DayEntry[];
  /** Providers still fetching some of the days. */
  pending: string[];
}

export interface ReadDaysDeps {
  sql: Queryable;
  fetcher: ReadFetcher;
  /** RESCORE_LOOKBACK_DAYS when set, else each provider's own lookback. */
  rescoreLookbackDays?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export interface DailyQuery {
  userId: string;
  from: string;
  to: string;
  waitMs: number;
  detail: boolean;
}

/** The days of [from, to] (ISO dates, both included). */
export function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** undefined when the user does not exist. */
export async function readDaily(deps: ReadDaysDeps, query: DailyQuery): Promise<DailyAnswer | undefined> {
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + query.waitMs;
  const { exists, connections } = await userConnections(deps.sql, query.userId);
  if (!exists) return undefined;
  const gates = activePullGates(connections, deps.rescoreLookbackDays, now());
  const range = { from: query.from, to: query.to };

  let coverage = await coveredDays(deps.sql, query.userId, range, gates, now());
  const missing = missingByProvider(coverage);
  if (missing.size > 0) {
    const asked = await Promise.all(
      [...missing].map(([provider, days]) =>
        deps.fetcher.request({
          userId: query.userId,
          provider,
          // The day before the first missing one: a day needs [D − 1, D + 1) (store/read-days.ts).
          from: shiftDay(days[0] as string, -1),
          to: days[days.length - 1] as string,
          kinds: gates.find((g) => g.provider === provider)?.kinds ?? [],
        }),
      ),
    );
    // Wait for the ledger, not for the workflow: several providers, and other requests' fetches.
    // Nothing to wait for when Temporal could not be asked at all.
    while (asked.some(Boolean) && missingByProvider(coverage).size > 0 && Date.now() < deadline) {
      await sleep(Math.min(POLL_MS, deadline - Date.now()));
      coverage = await coveredDays(deps.sql, query.userId, range, gates, now());
    }
  }

  const [records, measures, sources] = await Promise.all([
    recordsPerDay(deps.sql, query.userId, range),
    headlineMeasures(deps.sql, query.userId, range),
    query.detail ? sourceMeasures(deps.sql, query.userId, range) : Promise.resolve(undefined),
  ]);
  const pending = [...missingByProvider(coverage).keys()];
  const days = daysOf(query.from, query.to).map((day) =>
    dayEntry(day, {
      coverage: coverage.filter((c) => c.day === day),
      records: records.filter((r) => r.day === day),
      measures: measures.get(day),
      sources: sources?.get(day),
      detail: query.detail,
    }),
  );
  return { days, pending };
}

function dayEntry(
  day: string,
  facts: {
    coverage: ProviderDay[];
    records: { provider: string; records: number }[];
    measures: Measures | undefined;
    sources: SourceMeasures[] | undefined;
    detail: boolean;
  },
): DayEntry {
  const providers = new Set([
    ...facts.coverage.map((c) => c.provider),
    ...facts.records.map((r) => r.provider),
  ]);
  const details: ProviderDetail[] = [...providers].sort().map((provider) => {
    const covered = facts.coverage.find((c) => c.provider === provider);
    const records = facts.records.find((r) => r.provider === provider)?.records ?? 0;
    // A provider without a ledger (a push source, a connection not active) has what it has.
    const status: DayStatus =
      covered && !covered.covered ? 'pending' : records > 0 ? 'complete' : 'unavailable';
    return {
      provider,
      status,
      records,
      sources: (facts.sources ?? []).filter((s) => s.provider === provider),
    };
  });
  const status: DayStatus = details.some((d) => d.status === 'pending')
    ? 'pending'
    : details.some((d) => d.status === 'complete') || facts.measures
      ? 'complete'
      : 'unavailable';
  const final = status !== 'pending' && facts.coverage.every((c) => c.final);
  return {
    day,
    status,
    final,
    ...(facts.measures ?? {}),
    ...(facts.detail ? { providers: details } : {}),
  };
}

function activePullGates(
  connections: { provider: string; status: string }[],
  lookbackOverride: number | undefined,
  now: Date,
): ProviderGate[] {
  return connections.flatMap(({ provider, status }) => {
    const descriptor = descriptorOf(provider);
    // Only an active pull connection can be fetched: another's days would stay pending for ever.
    if (descriptor?.mode !== 'pull' || status !== 'active') return [];
    const lookback = lookbackOverride ?? descriptor.rescoreLookbackDays;
    // As the backfill's planner draws it (activities/plan.ts): on a UTC day boundary.
    const finalBefore = new Date(Math.floor((now.getTime() - lookback * DAY_MS) / DAY_MS) * DAY_MS);
    return [{ provider, kinds: descriptor.kinds, finalBefore }];
  });
}

function missingByProvider(coverage: ProviderDay[]): Map<string, string[]> {
  const missing = new Map<string, string[]>();
  for (const c of coverage)
    if (!c.covered) missing.set(c.provider, [...(missing.get(c.provider) ?? []), c.day]);
  return missing;
}

function shiftDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}
