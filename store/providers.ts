// The `providers` table: each provider's name and app-wide budget, as the worker's configuration
// sets them, for dashboards to read instead of naming providers.
import type { Queryable } from './db.ts';

export interface ProviderRow {
  name: string;
  displayName: string;
  requestsPerMinute: number;
  requestsPerDay: number | null;
}

export async function upsertProviders(sql: Queryable, rows: readonly ProviderRow[]): Promise<void> {
  if (rows.length === 0) return;
  const values = rows.map((row) => ({
    name: row.name,
    display_name: row.displayName,
    requests_per_minute: row.requestsPerMinute,
    requests_per_day: row.requestsPerDay,
  }));
  await sql`
    insert into providers (name, display_name, requests_per_minute, requests_per_day)
    select name, display_name, requests_per_minute, requests_per_day
    from jsonb_to_recordset(${sql.json(values as never)}::jsonb)
      as x(name text, display_name text, requests_per_minute int, requests_per_day int)
    on conflict (name) do update set
      display_name = excluded.display_name, requests_per_minute = excluded.requests_per_minute,
      requests_per_day = excluded.requests_per_day, updated_at = now()
    where (providers.display_name, providers.requests_per_minute, providers.requests_per_day)
      is distinct from (excluded.display_name, excluded.requests_per_minute, excluded.requests_per_day)`;
}
