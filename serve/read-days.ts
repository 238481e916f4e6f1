// The read API's days (docs/read-api.md): each local day's status from the coverage ledger —
// complete (every active pull connection's kinds covered, and records), unavailable (covered, and
// the providers had nothing), pending (not covered yet: a readFetch is asked for it), failed (not
// covered, and the provider's last readFetch failed a short while ago) — its headline measures, and
// waiting a bounded time for missing days by polling Postgres. Nothing here holds a transaction or a
// budget slot while it waits; the fetch itself runs in Temporal. A day already stored costs one
// statement (store/read-days.ts dayFacts), two with per-source detail.
import { descriptorOf, providerCatalog } from '../providers/catalog.ts';
import type { Queryable } from '../store/db.ts';
import {
  type DayFacts,
  dayFacts,
  type FetchFailure,
  type Measures,
  type ProviderDay,
  type ProviderGate,
  type SourceMeasures,
  sourceMeasures,
} from '../store/read-days.ts';
import type { ReadFetcher } from './read-fetcher.ts';

const DAY_MS = 86_400_000;
const POLL_MS = 200;
/** Seconds after a failed readFetch before a read asks for the same provider again (by default). */
export const DEFAULT_FETCH_RETRY_AFTER_S = 60;

export type DayStatus = 'complete' | 'pending' | 'failed' | 'unavailable';

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
  /** Why a `failed` day is not complete: each failed provider's last fetch failure. */
  reason?: string;
  providers?: ProviderDetail[];
}

export interface DailyAnswer {
  days: DayEntry[];
  /** Providers still fetching some of the days. */
  pending: string[];
  /** Providers whose fetch of some of the days failed; asked again after retryAfterS. */
  failed: FetchFailure[];
}

export interface ReadDaysDeps {
  sql: Queryable;
  fetcher: ReadFetcher;
  /** RESCORE_LOOKBACK_DAYS when set, else each provider's own lookback. */
  rescoreLookbackDays?: number;
  /** READ_FETCH_RETRY_AFTER_S: how long a failed fetch answers `failed` before a read retries it. */
  fetchRetryAfterS?: number;
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
  const last = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= last; t += DAY_MS) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** undefined when the user does not exist. */
export async function readDaily(deps: ReadDaysDeps, query: DailyQuery): Promise<DailyAnswer | undefined> {
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const holdS = deps.fetchRetryAfterS ?? DEFAULT_FETCH_RETRY_AFTER_S;
  const deadline = Date.now() + query.waitMs;
  const gates = pullGates(deps.rescoreLookbackDays, now());
  const range = { from: query.from, to: query.to };
  const read = () => dayFacts(deps.sql, query.userId, range, gates, now(), holdS);

  let facts = await read();
  if (!facts.exists) return undefined;
  // A provider whose last fetch failed a short while ago is not asked again until its hold ends.
  const missing = [...missingByProvider(facts)].filter(([provider]) => !failedNow(facts, provider));
  if (missing.length > 0) {
    const asked = await Promise.all(
      missing.map(([provider, days]) =>
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
    // Nothing to wait for when Temporal could not be asked at all; a fetch that fails ends the wait.
    while (asked.some(Boolean) && missingByProvider(facts).size > 0 && Date.now() < deadline) {
      if ([...missingByProvider(facts).keys()].every((p) => failedNow(facts, p))) break;
      await sleep(Math.min(POLL_MS, deadline - Date.now()));
      facts = await read();
    }
  }

  const sources = query.detail ? await sourceMeasures(deps.sql, query.userId, range) : undefined;
  const stillMissing = [...missingByProvider(facts).keys()];
  const failed = facts.failures.filter((f) => stillMissing.includes(f.provider));
  const coverageByDay = groupByDay(facts.coverage);
  const recordsByDay = groupByDay(facts.records);
  const days = daysOf(query.from, query.to).map((day) =>
    dayEntry(day, {
      coverage: coverageByDay.get(day) ?? [],
      records: recordsByDay.get(day) ?? [],
      measures: facts.measures.get(day),
      sources: sources?.get(day),
      failures: failed,
      detail: query.detail,
    }),
  );
  return { days, pending: stillMissing.filter((p) => !failedNow(facts, p)), failed };
}

function dayEntry(
  day: string,
  facts: {
    coverage: ProviderDay[];
    records: { provider: string; records: number }[];
    measures: Measures | undefined;
    sources: SourceMeasures[] | undefined;
    failures: FetchFailure[];
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
      covered && !covered.covered
        ? facts.failures.some((f) => f.provider === provider)
          ? 'failed'
          : 'pending'
        : records > 0
          ? 'complete'
          : 'unavailable';
    return {
      provider,
      status,
      records,
      sources: (facts.sources ?? []).filter((s) => s.provider === provider),
    };
  });
  // A failed provider outranks a pending one: its days will not come without a later read.
  const status: DayStatus = details.some((d) => d.status === 'failed')
    ? 'failed'
    : details.some((d) => d.status === 'pending')
      ? 'pending'
      : details.some((d) => d.status === 'complete') || facts.measures
        ? 'complete'
        : 'unavailable';
  const unsettled = status === 'pending' || status === 'failed';
  const final = !unsettled && facts.coverage.every((c) => c.final);
  const reason =
    status === 'failed'
      ? facts.failures
          .filter((f) => details.some((d) => d.provider === f.provider && d.status === 'failed'))
          .map((f) => `${f.provider}: ${f.reason}`)
          .join('; ')
      : undefined;
  return {
    day,
    status,
    final,
    ...(reason ? { reason } : {}),
    ...(facts.measures ?? {}),
    ...(facts.detail ? { providers: details } : {}),
  };
}

/** Every pull provider with its kinds and finality boundary; dayFacts keeps the user's active ones. */
function pullGates(lookbackOverride: number | undefined, now: Date): ProviderGate[] {
  return Object.keys(providerCatalog).flatMap((provider) => {
    const descriptor = descriptorOf(provider);
    if (descriptor?.mode !== 'pull') return [];
    const lookback = lookbackOverride ?? descriptor.rescoreLookbackDays;
    // As the backfill's planner draws it (activities/plan.ts): on a UTC day boundary.
    const finalBefore = new Date(Math.floor((now.getTime() - lookback * DAY_MS) / DAY_MS) * DAY_MS);
    return [{ provider, kinds: descriptor.kinds, finalBefore }];
  });
}

/** Rows by their day: one pass, not one scan of every row per day of the span. */
function groupByDay<T extends { day: string }>(rows: readonly T[]): Map<string, T[]> {
  const byDay = new Map<string, T[]>();
  for (const row of rows) {
    const list = byDay.get(row.day);
    if (list) list.push(row);
    else byDay.set(row.day, [row]);
  }
  return byDay;
}

function missingByProvider(facts: DayFacts): Map<string, string[]> {
  const missing = new Map<string, string[]>();
  for (const c of facts.coverage)
    if (!c.covered) missing.set(c.provider, [...(missing.get(c.provider) ?? []), c.day]);
  return missing;
}

function failedNow(facts: DayFacts, provider: string): boolean {
  return facts.failures.some((f) => f.provider === provider);
}

function shiftDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}
