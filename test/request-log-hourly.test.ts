// provider_requests_hourly (sql/081_provider_requests_hourly.sql) against the per-minute ledger it
// summarises: the request log's own flushes, additive upserts across hours, endpoints and statuses,
// two writers adding to the same minute at once, pruning, and the budget panel that reads it, run as
// the Grafana role. Real Postgres, the project's own request log and dashboard.
import { readFile } from 'node:fs/promises';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectDashboardTargets, expandPanelSql, panelIntervalMs } from '../grafana/macros.ts';
import { createRequestLog } from '../store/request-log.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { must } from './support/multi-source.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.close();
});

interface HourRow {
  hour: Date;
  provider: string;
  requests: number;
  peak: number;
}

/** What the hourly rows must say, computed from the per-minute ledger. */
async function fromMinutes(): Promise<HourRow[]> {
  return db.sql<HourRow[]>`
    select date_trunc('hour', minute, 'UTC') as hour, provider, sum(total)::int as requests, max(total)::int as peak
    from (select minute, provider, sum(requests) as total from provider_requests group by 1, 2) m
    group by 1, 2 order by 2, 1`;
}

async function hourly(): Promise<HourRow[]> {
  return db.sql<HourRow[]>`
    select hour, provider, requests::int as requests, peak_minute_requests as peak
    from provider_requests_hourly order by provider, hour`;
}

/** The request log's statement: additive upserts of per-minute buckets. */
async function addMinutes(
  sql: postgres.Sql | postgres.TransactionSql,
  rows: { minute: string; provider: string; endpoint: string; status: number; requests: number }[],
) {
  await sql`
    insert into provider_requests (minute, provider, endpoint, status, requests, total_latency_ms, max_latency_ms)
    select minute, provider, endpoint, status, requests, requests * 50, 80
    from jsonb_to_recordset(${sql.json(rows as never)}::jsonb) as x(
      minute timestamptz, provider text, endpoint text, status int, requests int)
    on conflict (minute, provider, endpoint, status) do update set
      requests = provider_requests.requests + excluded.requests,
      total_latency_ms = provider_requests.total_latency_ms + excluded.total_latency_ms,
      max_latency_ms = greatest(provider_requests.max_latency_ms, excluded.max_latency_ms)`;
}

describe('provider_requests_hourly', () => {
  it("counts the request log's flushes: every request, and the busiest minute", async () => {
    const log = createRequestLog(db.sql, { flushEveryMs: 3_600_000 });
    for (let i = 0; i < 7; i++)
      log.record({ provider: 'whoop', endpoint: '/v2/cycle', status: 200, latencyMs: 40 });
    for (let i = 0; i < 2; i++)
      log.record({ provider: 'whoop', endpoint: '/v2/recovery', status: 429, latencyMs: 5 });
    log.record({ provider: 'oura', endpoint: '/v2/usercollection/sleep', status: 200, latencyMs: 90 });
    await log.flush();
    log.record({ provider: 'whoop', endpoint: '/v2/cycle', status: 200, latencyMs: 40 });
    await log.close();
    const rows = await hourly();
    expect(rows).toEqual(await fromMinutes());
    const whoop = rows.filter((r) => r.provider === 'whoop');
    expect(whoop.reduce((n, r) => n + r.requests, 0)).toBe(10);
    expect(Math.max(...whoop.map((r) => r.peak))).toBeGreaterThanOrEqual(5);
  });

  it('match the per-minute ledger after additive upserts across hours, endpoints and statuses', async () => {
    await db.sql`truncate provider_requests, provider_requests_hourly`;
    const rows = [];
    for (let m = 0; m < 150; m += 7) {
      const minute = new Date(Date.UTC(2026, 10, 2, 10, 0) + m * 60_000).toISOString();
      rows.push({ minute, provider: 'whoop', endpoint: '/v2/cycle', status: 200, requests: 1 + (m % 5) });
      rows.push({ minute, provider: 'whoop', endpoint: '/v2/activity/sleep', status: 200, requests: 2 });
      if (m % 3 === 0)
        rows.push({ minute, provider: 'whoop', endpoint: '/v2/cycle', status: 429, requests: 1 });
      rows.push({
        minute,
        provider: 'oura',
        endpoint: '/v2/usercollection/sleep',
        status: 200,
        requests: m % 4,
      });
    }
    await addMinutes(db.sql, rows);
    // The same buckets again (a second worker's flush): every count doubles, through the update path.
    await addMinutes(db.sql, rows);
    const expected = await fromMinutes();
    expect(expected.length).toBe(6); // 10:00, 11:00, 12:00 for two providers
    expect(await hourly()).toEqual(expected);
    const [peak] = expected.filter((r) => r.provider === 'whoop' && r.hour.getUTCHours() === 10);
    // 10:14 and 10:49 (m % 5 = 4, no 429): 2 × ((1 + 4) + 2).
    expect(must(peak).peak).toBe(14);
  });

  it('keep the busiest minute exact when two writers add to the same minute at once', async () => {
    await db.sql`truncate provider_requests, provider_requests_hourly`;
    const minute = new Date(Date.UTC(2026, 10, 3, 9, 30)).toISOString();
    const other = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let wrote: () => void = () => {};
      const written = new Promise<void>((resolve) => {
        wrote = resolve;
      });
      const first = db.sql.begin(async (tx) => {
        await addMinutes(tx, [
          { minute, provider: 'whoop', endpoint: '/v2/cycle', status: 200, requests: 30 },
        ]);
        wrote();
        await held;
      });
      await written;
      const second = addMinutes(other, [
        { minute, provider: 'whoop', endpoint: '/v2/recovery', status: 200, requests: 40 },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      release();
      await Promise.all([first, second]);
    } finally {
      await other.end();
    }
    const [row] = await hourly();
    expect(row).toMatchObject({ requests: 70, peak: 70 });
  });

  it('outlive the per-minute rows the retention prunes', async () => {
    const before = await hourly();
    await db.sql`delete from provider_requests`;
    expect(await hourly()).toEqual(before);
    expect(before.length).toBeGreaterThan(0);
  });

  it('feed the budget panel, which the Grafana role reads', async () => {
    await db.sql`truncate provider_requests, provider_requests_hourly`;
    await db.sql`insert into providers (name, display_name, requests_per_minute, requests_per_day)
                 values ('whoop', 'WHOOP', 100, 10000) on conflict (name) do nothing`;
    const to = new Date();
    const minutes = [-90, -89, -30].map((m) =>
      new Date(Math.floor(to.getTime() / 60_000 + m) * 60_000).toISOString(),
    );
    await addMinutes(db.sql, [
      { minute: must(minutes[0]), provider: 'whoop', endpoint: '/v2/cycle', status: 200, requests: 55 },
      { minute: must(minutes[0]), provider: 'whoop', endpoint: '/v2/recovery', status: 429, requests: 3 },
      { minute: must(minutes[1]), provider: 'whoop', endpoint: '/v2/cycle', status: 200, requests: 20 },
      { minute: must(minutes[2]), provider: 'whoop', endpoint: '/v2/cycle', status: 200, requests: 12 },
    ]);
    const model = JSON.parse(
      await readFile(new URL('../grafana/dashboards/pipeline.json', import.meta.url), 'utf8'),
    );
    const target = must(
      collectDashboardTargets(model).find((t) => t.panelTitle === 'API requests against the budget'),
    );
    expect(target.interval).toBe('1h');
    const from = new Date(to.getTime() - 30 * 86_400_000);
    const text = expandPanelSql(target.rawSql, {
      from,
      to,
      intervalMs: panelIntervalMs(from, to, 1000, target.interval),
      variables: { user: ['nobody'], provider: ['whoop'] },
    });
    const grafana = postgres(db.grafanaUrl, { max: 1, onnotice: () => {} });
    try {
      const rows = await grafana.unsafe<{ time: number; metric: string; value: number }[]>(text);
      const busiest = rows.filter((r) => r.metric === 'whoop').map((r) => Number(r.value));
      // One point per hour: that hour's busiest minute, all endpoints and statuses of the minute.
      const perHour = new Map<number, number>();
      const totals = [58, 20, 12];
      minutes.forEach((m, i) => {
        const hour = Math.floor(Date.parse(m) / 3_600_000);
        perHour.set(hour, Math.max(perHour.get(hour) ?? 0, must(totals[i])));
      });
      expect(busiest).toEqual([...perHour.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v));
      expect(rows.filter((r) => r.metric === 'whoop budget').map((r) => Number(r.value))).toEqual([100, 100]);
    } finally {
      await grafana.end();
    }
  });
});
