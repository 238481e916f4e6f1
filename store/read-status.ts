// Figures for the read API's /v1/status (docs/read-api.md) that `wearhouse status` does not have:
// records per provider and kind (and per connection and kind), and today's requests per provider.
import type { Queryable } from './db.ts';

export async function recordsByConnectionKind(
  sql: Queryable,
): Promise<{ provider: string; user_id: string; kind: string; records: number }[]> {
  return sql`
    select provider, user_id, kind, count(*)::int as records
    from records where deleted_at is null
    group by provider, user_id, kind
    order by provider, user_id, kind`;
}

/**
 * Requests each provider has sent today (UTC): the daily budget's counter where the provider has a
 * daily budget, else the request ledger (provider_requests, flushed every few seconds).
 */
export async function requestsToday(sql: Queryable): Promise<Map<string, number>> {
  const rows = await sql<{ provider: string; requests: number }[]>`
    with today as (select (now() at time zone 'UTC')::date as day),
    budget as (select provider, requests from rate_budget_daily, today where rate_budget_daily.day = today.day),
    ledger as (
      select provider, sum(requests)::int as requests from provider_requests, today
      where minute >= today.day::timestamp at time zone 'UTC' group by provider
    )
    select coalesce(b.provider, l.provider) as provider, greatest(b.requests, l.requests)::int as requests
    from budget b full join ledger l on l.provider = b.provider`;
  return new Map(rows.map((r) => [r.provider, Number(r.requests)]));
}
