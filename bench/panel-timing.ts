// Timing one panel query as Grafana sends it (simple protocol, the Grafana role): warm-up then
// timed runs, EXPLAIN ANALYZE, and what bounds a panel by what it reads. Used by bench/dashboards.ts.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type postgres from 'postgres';
import { collectDashboardTargets, type PanelTarget } from '../grafana/macros.ts';
import { DAY_MS } from './harness.ts';
import { percentile, round } from './stats.ts';

export const TARGET_MS = 100;
const dashboardsDir = fileURLToPath(new URL('../grafana/dashboards/', import.meta.url));

export interface QueryTiming {
  p50: number;
  p95: number;
  rows: number;
  runs: number;
  /** The query failed (e.g. the Grafana role's 10 s statement timeout). */
  error?: string;
}

export interface PanelTiming {
  panel: string;
  /** The view or table the panel reads. */
  source: string;
  range: string;
  single: QueryTiming;
  all?: QueryTiming | { skipped: string };
}

/** One warm-up, then `runs` timed runs; a warm-up slower than `slowMs` leaves one timed run. */
export async function timeQuery(
  sql: postgres.Sql,
  expand: () => string,
  runs: number,
  slowMs = Number.POSITIVE_INFINITY,
): Promise<QueryTiming> {
  const times: number[] = [];
  let rows = 0;
  try {
    const warm = performance.now();
    const first = await sql.unsafe(expand()).simple();
    const warmMs = performance.now() - warm;
    if (warmMs > slowMs) {
      // Too slow to repeat: the first run is the one sample (its data was cached by earlier panels).
      return { p50: warmMs, p95: warmMs, rows: first.length, runs: 1 };
    }
    for (let i = 0; i < runs; i++) {
      const text = expand();
      const t = performance.now();
      const result = await sql.unsafe(text).simple();
      times.push(performance.now() - t);
      rows = result.length;
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { p50: Number.NaN, p95: Number.NaN, rows, runs: times.length, error: message };
  }
  return { p50: percentile(times, 50), p95: percentile(times, 95), rows, runs: times.length };
}

/** EXPLAIN ANALYZE of one expanded panel query, as the Grafana role. */
export async function explain(
  sql: postgres.Sql,
  text: string,
): Promise<{ lines: string[]; summary: string }> {
  try {
    const rows = await sql.unsafe(`explain (analyze, buffers) ${text}`).simple();
    const lines = rows.map((r) => String((r as Record<string, unknown>)['QUERY PLAN']));
    const pick = (name: string) => lines.find((l) => l.startsWith(name))?.trim() ?? `${name}: ?`;
    const scans = lines.filter((l) => /Scan/.test(l)).length;
    return { lines, summary: `${pick('Planning Time')}, ${pick('Execution Time')}, ${scans} scan nodes` };
  } catch (error) {
    return {
      lines: [],
      summary: `EXPLAIN failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

export function cells(t: QueryTiming): (string | number)[] {
  if (t.error) return [`failed: ${t.error}`, '', t.rows];
  const runs = t.runs === 1 ? ' (1 run)' : '';
  return [round(t.p50, 1), `${round(t.p95, 1)}${t.p95 >= TARGET_MS ? ' ✗' : ''}${runs}`, t.rows];
}

export function sourceOf(rawSql: string): string {
  const names = [...rawSql.matchAll(/\bfrom\s+([a-z_]+)\b(?!\s*\()/gi)].map((m) => m[1] as string);
  return (
    [
      ...new Set(
        names.filter((n) => !['d', 'm', 'x', 'per_minute', 'busiest', 'per_user', 'users'].includes(n)),
      ),
    ].join(', ') || '?'
  );
}

/** What bounds a panel's time, by what it reads. */
export function boundOf(source: string): string {
  if (source.includes('daily_summary_across_users'))
    return (
      'one user: daily_summary rows (a primary-key range); every user: daily_summary_across_users, 16 rows per ' +
      'provider and day whatever the number of users; some users: their daily_summary rows, averaged per day.'
    );
  if (source.includes('_stored'))
    return (
      'stored typed rows (sleeps_stored, workouts_stored, recoveries_stored): an index range over the selected ' +
      'users’ rows in the range; grows with users × days in the range.'
    );
  if (source.includes('_hourly') && !source.includes('provider_requests'))
    return 'hourly rollup rows of the selected users in the range: grows with users × hours with activity.';
  if (source.includes('daily_summary'))
    return (
      'daily_summary reads its stored rows (daily_summary_rollup, one per user, provider and day, kept by the ' +
      'records trigger): a primary-key range per selected user, then the panel’s own grouping and window ' +
      'functions; grows with users × days in the range, not with each user’s history.'
    );
  if (source.includes('provider_requests_hourly'))
    return 'provider_requests_hourly: 24 rows per provider and day whatever the traffic; grows with the range only.';
  if (source.includes('provider_requests'))
    return (
      'per-minute counters of the whole app (no user filter): the 30-day retention is ~43k minutes × 4 endpoints, ' +
      'summed per minute then per interval.'
    );
  if (source.includes('pipeline_freshness') || source.includes('connection_status'))
    return 'about ten index probes per (provider, user, kind) selected: grows with users × kinds, not with the ledger.';
  if (source.includes('sync_runs'))
    return 'run-ledger rows of the selected users in the range: grows with sync frequency × users × range.';
  return 'an index range over the selected users’ records of one kind, JSONB fields extracted per row.';
}

export async function loadTargets(): Promise<PanelTarget[]> {
  const files = (await readdir(dashboardsDir)).filter((f) => f.endsWith('.json')).sort();
  const targets: PanelTarget[] = [];
  for (const file of files) {
    targets.push(...collectDashboardTargets(JSON.parse(await readFile(`${dashboardsDir}${file}`, 'utf8'))));
  }
  return targets;
}

export function durationMs(text: string): number {
  const match = /^(\d+)([hdwy])$/.exec(text);
  if (!match) throw new Error(`unsupported relative time ${text}`);
  const unit = { h: DAY_MS / 24, d: DAY_MS, w: 7 * DAY_MS, y: 365 * DAY_MS }[
    match[2] as 'h' | 'd' | 'w' | 'y'
  ];
  return Number(match[1]) * unit;
}
