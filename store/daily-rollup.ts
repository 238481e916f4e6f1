// The stored daily rows (daily_summary, daily_health_by_source) for bulk loads: a transaction that
// defers them only marks the days it touched, and the loader recomputes those once, when the
// import ends, instead of once per batch (sql/083_daily_summary_deferred.sql; docs/views.md, "Stored daily rows").
import type postgres from 'postgres';
import type { Sql } from './db.ts';

/** Inside a bulk transaction, before its writes: its touched days are marked, not recomputed. */
export async function deferDailyRows(tx: postgres.TransactionSql): Promise<void> {
  await tx`select set_config('wearhouse.defer_daily_rollup', 'on', true)`;
}

/** Recomputes the days deferred writes left for one user and provider; returns the ranges taken. */
export async function refreshDeferredDailyRows(sql: Sql, userId: string, provider: string): Promise<number> {
  const [row] = await sql<{ taken: number }[]>`
    select wearhouse_refresh_deferred_daily_summary(${userId}, ${provider}) as taken`;
  return row?.taken ?? 0;
}
