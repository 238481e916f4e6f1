// `wearhouse status`: connections, last success, lag, coverage, recent errors and each kind's
// freshness — as a table or JSON.
import { providerCatalog } from '../providers/catalog.ts';
import type { Sql } from '../store/db.ts';
import { CliError } from './explain.ts';
import { budgetLines, loadBudgetStatus } from './status-budget.ts';
import { coverageLines, type KindCoverage, loadCoverage } from './status-coverage.ts';

/** One kind of one connection, from the pipeline_freshness view. */
export interface KindFreshness {
  kind: string;
  last_success: Date | null;
  lag_minutes: number | null;
  /** A sync activity of this kind is running now (a backfill window or an incremental sync). */
  running: boolean;
  /** Its most recent finished attempt failed (a later success clears it). */
  failing: boolean;
  /** Class of its most recent failure, however old. */
  last_error_class: string | null;
}

export interface StatusRow {
  provider: string;
  user_id: string;
  status: string;
  /** Why the connection is not active (a refused refresh, the provider's 403), kept until reconnect. */
  status_reason: string | null;
  last_success: Date | null;
  lag_minutes: number | null;
  records: number;
  covered_days: number;
  failures_24h: number;
  last_error: string | null;
  kinds: KindFreshness[];
  /** Covered date ranges and gaps per kind (the coverage ledger). */
  coverage: KindCoverage[];
}

export async function loadStatus(sql: Sql, userId?: string): Promise<StatusRow[]> {
  const rows = await sql<Omit<StatusRow, 'kinds' | 'coverage'>[]>`
    select c.provider, c.user_id, c.status, c.status_reason,
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
  // The view Grafana's freshness table reads, so the CLI and the dashboard agree.
  const kinds = await sql<(KindFreshness & { provider: string; user_id: string })[]>`
    select provider, user_id, kind, last_success_at as last_success,
      round(sync_lag_min)::int as lag_minutes, running,
      coalesce(last_failure_at > last_success_at, last_failure_at is not null) as failing, last_error_class
    from pipeline_freshness
    where ${userId ?? null}::text is null or user_id = ${userId ?? null}
    order by provider, user_id, kind`;
  const coverage = await loadCoverage(sql, userId);
  return rows.map((row) => ({
    ...row,
    coverage: coverage.filter((c) => c.provider === row.provider && c.user_id === row.user_id),
    kinds: kinds
      .filter((k) => k.provider === row.provider && k.user_id === row.user_id)
      .map(({ provider: _p, user_id: _u, ...k }) => k),
  }));
}

export async function printStatus(sql: Sql, options: { userId?: string; json: boolean }): Promise<void> {
  const rows = await loadStatus(sql, options.userId);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0 && options.userId !== undefined) {
    // A typo more often than not: say whose connections there are.
    const users = await sql<{ user_id: string }[]>`
      select distinct user_id from connections order by user_id limit 50`;
    throw new CliError(
      `"${options.userId}" has no connections (${
        users.length
          ? `users with connections: ${users.map((u) => u.user_id).join(', ')}`
          : 'no user has any yet'
      })`,
      users.length
        ? '`wearhouse status` lists every connection'
        : `connect one: wearhouse connect <provider> --user ${options.userId} (providers: ${Object.keys(providerCatalog).join(', ')})`,
    );
  }
  if (rows.length === 0) {
    process.stdout.write(
      `no connections yet: \`wearhouse connect <provider> --user <id> …\` (providers: ${Object.keys(providerCatalog).join(', ')})\n`,
    );
    return;
  }
  const table = rows.map((r) => ({
    user: r.user_id,
    provider: r.provider,
    status: r.status,
    'last success': r.last_success ? r.last_success.toISOString().slice(0, 19).replace('T', ' ') : 'never',
    lag: r.lag_minutes === null ? '-' : `${r.lag_minutes} min`,
    'kinds (lag)': r.kinds.map(kindCell).join(' '),
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
  // A stopped connection's reason in full (the table cuts errors short): it says what the user must do.
  const stopped = rows.filter((r) => r.status !== 'active');
  if (stopped.length > 0) {
    process.stdout.write(
      `\nneeds attention\n${stopped
        .map(
          (r) =>
            `  ${r.user_id} ${r.provider} ${r.status}: ${r.status_reason ?? 'no reason recorded'}\n` +
            `    hint: ${reconnectHint(r)}`,
        )
        .join('\n')}\n`,
    );
  }
  const coverage = coverageLines(rows.flatMap((r) => r.coverage));
  if (coverage.length > 0) process.stdout.write(`\ncoverage\n${coverage.map((l) => `  ${l}`).join('\n')}\n`);
  if (options.userId !== undefined) return;
  const budget = budgetLines(await loadBudgetStatus(sql));
  if (budget.length > 0) process.stdout.write(`\nbudget plan\n${budget.map((l) => `  ${l}`).join('\n')}\n`);
}

function reconnectHint(row: StatusRow): string {
  const connect = `wearhouse connect ${row.provider} --user ${row.user_id}`;
  return row.status === 'access_denied'
    ? `the provider refuses this user's data; once they restore access: ${connect}`
    : `log in again: ${connect}`;
}

/** `sleep 12m`, `cycle never`, `workout 3m*` (running now), `recovery 40m!` (its last attempt failed). */
export function kindCell(k: KindFreshness): string {
  const lag = k.lag_minutes === null ? 'never' : formatMinutes(k.lag_minutes);
  return `${k.kind} ${lag}${k.running ? '*' : ''}${k.failing ? '!' : ''}`;
}

function formatMinutes(minutes: number): string {
  if (minutes < 120) return `${minutes}m`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)}h`;
  return `${Math.round(minutes / 1440)}d`;
}
