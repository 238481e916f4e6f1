// `wearhouse status`: connections, last success, lag, coverage and recent errors — as a table or JSON.
import type { Sql } from '../store/db.ts';

export interface StatusRow {
  provider: string;
  user_id: string;
  status: string;
  last_success: Date | null;
  lag_minutes: number | null;
  records: number;
  covered_days: number;
  failures_24h: number;
  last_error: string | null;
}

export async function loadStatus(sql: Sql, userId?: string): Promise<StatusRow[]> {
  return sql<StatusRow[]>`
    select c.provider, c.user_id, c.status,
      ok.last_success,
      (extract(epoch from now() - ok.last_success) / 60)::int as lag_minutes,
      coalesce(r.records, 0)::int as records,
      coalesce(cov.days, 0)::int as covered_days,
      coalesce(f.failures, 0)::int as failures_24h,
      coalesce(f.last_error, c.status_reason) as last_error
    from connections c
    left join lateral (
      select max(finished_at) as last_success from sync_runs s
      where s.provider = c.provider and s.user_id = c.user_id and s.status = 'completed') ok on true
    left join lateral (
      select count(*) as records from records x
      where x.provider = c.provider and x.user_id = c.user_id and x.deleted_at is null) r on true
    left join lateral (
      select round(extract(epoch from sum(upper(span) - lower(span))) / 86400 / greatest(count(distinct kind), 1)) as days
      from coverage v where v.provider = c.provider and v.user_id = c.user_id and v.final) cov on true
    left join lateral (
      select count(*) as failures,
             (array_agg(error_class || ': ' || error_message order by started_at desc))[1] as last_error
      from sync_runs s
      where s.provider = c.provider and s.user_id = c.user_id and s.status = 'failed'
        and s.started_at > now() - interval '24 hours') f on true
    where ${userId ?? null}::text is null or c.user_id = ${userId ?? null}
    order by c.user_id, c.provider`;
}

export async function printStatus(sql: Sql, options: { userId?: string; json: boolean }): Promise<void> {
  const rows = await loadStatus(sql, options.userId);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('no connections yet: `wearhouse connect whoop --user <id> …`\n');
    return;
  }
  const table = rows.map((r) => ({
    user: r.user_id,
    provider: r.provider,
    status: r.status,
    'last success': r.last_success ? r.last_success.toISOString().slice(0, 19).replace('T', ' ') : 'never',
    lag: r.lag_minutes === null ? '-' : `${r.lag_minutes} min`,
    records: String(r.records),
    'covered days': String(r.covered_days),
    'failures 24h': String(r.failures_24h),
    'last error': (r.last_error ?? '').slice(0, 60),
  }));
  const headers = Object.keys(table[0] as object) as (keyof (typeof table)[number])[];
  const widths = headers.map((h) => Math.max(h.length, ...table.map((row) => row[h].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(
    `${[line(headers), line(widths.map((w) => '-'.repeat(w))), ...table.map((row) => line(headers.map((h) => row[h])))].join('\n')}\n`,
  );
}
