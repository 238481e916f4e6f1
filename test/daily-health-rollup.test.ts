// daily_health stored as rows (sql/100_daily_health_stored.sql; docs/views.md, "Stored daily rows"):
// the stored rows against the ranking computed per read (daily_health_live) for one user wearing
// three sources, after two providers of that user are written at once, and after per-user and
// default source preferences change. Real Postgres, the project's own store functions.
// test/daily-summary-rollup.test.ts checks the same rows after every other kind of write.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MappedRecord } from '../providers/types.ts';
import { upsertRecords } from '../store/records.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { type MultiSourceData, must, seedMultiSource } from './support/multi-source.ts';
import { day } from './support/whoop-stack.ts';

const USER = 'stored-sam';
let db: TestDatabase;
let data: MultiSourceData;

/** Rows only in the stored table and only in the per-read ranking (floats to 9 decimals). */
async function drift() {
  const columns = await db.sql<{ name: string; type: string }[]>`
    select column_name as name, data_type as type from information_schema.columns
    where table_name = 'daily_health_rollup' order by ordinal_position`;
  const list = columns
    .map((c) => (c.type === 'double precision' ? `round(${c.name}::numeric, 9) as ${c.name}` : c.name))
    .join(', ');
  const side = (relation: string) => `select ${list} from ${relation} where user_id = $1`;
  const stored = await db.sql.unsafe(
    `${side('daily_health_rollup')} except all ${side('daily_health_live')}`,
    [USER],
  );
  const live = await db.sql.unsafe(`${side('daily_health_live')} except all ${side('daily_health_rollup')}`, [
    USER,
  ]);
  return { stored: stored.length, live: live.length };
}

const sleepProviders = async () => {
  const rows = await db.sql<{ sleep_provider: string | null }[]>`
    select sleep_provider from daily_health where user_id = ${USER} and sleep_provider is not null`;
  return [...new Set(rows.map((r) => r.sleep_provider))].sort();
};

/** A stored record changed, as a re-fetch with a newer provider update stores it (a field added). */
async function refetched(provider: string, kind: string, onDay: string): Promise<MappedRecord> {
  const [r] = await db.sql<
    {
      source_id: string;
      start_at: Date | null;
      end_at: Date | null;
      tz_offset: string | null;
      local_day: Date | null;
      payload: Record<string, unknown>;
      source: string | null;
    }[]
  >`select source_id, start_at, end_at, tz_offset, local_day, payload, source from records
    where user_id = ${USER} and provider = ${provider} and kind = ${kind} and local_day = ${onDay}::date
      and deleted_at is null
    limit 1`;
  const row = must(r);
  return {
    kind,
    sourceId: row.source_id,
    startAt: row.start_at,
    endAt: row.end_at,
    tzOffset: row.tz_offset,
    localDay: row.local_day?.toISOString().slice(0, 10) ?? null,
    providerUpdatedAt: new Date(Date.now() + 60_000),
    payload: { ...row.payload, refetched: true },
    source: row.source,
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  data = await seedMultiSource(db.sql, USER, day(-21), day(0));
}, 120_000);

afterAll(async () => {
  await data?.close();
  await db?.close();
});

describe('stored daily_health rows', () => {
  it('hold exactly the per-read ranking of the three sources, one row per day', async () => {
    const [n] = await db.sql<{ n: number; days: number }[]>`
      select count(*)::int as n, count(distinct day)::int as days from daily_health where user_id = ${USER}`;
    expect(must(n).n).toBeGreaterThan(15);
    expect(must(n).n).toBe(must(n).days);
    expect(await drift()).toEqual({ stored: 0, live: 0 });
  });

  it('stay exact when two providers of the same user are written at once: the second waits', async () => {
    // A day both WHOOP and the ring have (the ring's documents are built around WHOOP's nights).
    const [shared] = await db.sql<{ day: string }[]>`
      select w.local_day::text as day from records w
      where w.user_id = ${USER} and w.provider = 'whoop' and w.kind = 'sleep' and w.deleted_at is null
        and exists (select from records o where o.user_id = w.user_id and o.provider = 'oura'
                    and o.local_day = w.local_day and o.deleted_at is null)
      order by w.local_day desc limit 1`;
    const onDay = must(shared).day;
    const whoop = await refetched('whoop', 'sleep', onDay);
    const [ouraKind] = await db.sql<{ kind: string }[]>`
      select kind from records where user_id = ${USER} and provider = 'oura' and local_day = ${onDay}::date
      order by kind limit 1`;
    const oura = await refetched('oura', must(ouraKind).kind, onDay);
    const other = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let firstWrote: () => void = () => {};
      const wrote = new Promise<void>((resolve) => {
        firstWrote = resolve;
      });
      const first = db.sql.begin(async (tx) => {
        await upsertRecords(tx, 'whoop', USER, [whoop]);
        firstWrote();
        await held;
      });
      await wrote;
      const second = other.begin(async (tx) => {
        await upsertRecords(tx as never, 'oura', USER, [oura]);
      });
      // Different providers, so not daily_summary_refresh's (user, provider) row: the user's row in
      // daily_health_refresh.
      let waiting: { query: string }[] = [];
      for (let i = 0; i < 100 && waiting.length === 0; i++) {
        waiting = await db.sql<{ query: string }[]>`
          select query from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`;
        if (waiting.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      release();
      await Promise.all([first, second]);
      // Without the user's lock the second would rank without the first's rows, and its insert of the
      // shared day would then fail on daily_health_rollup's key once the first commits.
      expect(waiting).toHaveLength(1);
    } finally {
      await other.end();
    }
    expect(await drift()).toEqual({ stored: 0, live: 0 });
  });

  it('follow the user’s own source preferences, and the defaults, as soon as they change', async () => {
    // The defaults rank the ring first for sleep.
    expect(await sleepProviders()).toContain('oura');
    await db.sql`insert into source_preferences (user_id, measure, provider, rank)
      values (${USER}, 'sleep', 'whoop', 1)`;
    expect(await sleepProviders()).toEqual(['whoop']);
    expect(await drift()).toEqual({ stored: 0, live: 0 });
    await db.sql`delete from source_preferences where user_id = ${USER}`;
    expect(await sleepProviders()).toContain('oura');
    expect(await drift()).toEqual({ stored: 0, live: 0 });
    // A default row (user_id null) re-ranks every user.
    await db.sql`update source_preferences set rank = 9 where user_id is null and measure = 'sleep' and provider = 'oura'`;
    expect(await sleepProviders()).not.toContain('oura');
    expect(await drift()).toEqual({ stored: 0, live: 0 });
    await db.sql`update source_preferences set rank = 1 where user_id is null and measure = 'sleep' and provider = 'oura'`;
    expect(await sleepProviders()).toContain('oura');
    expect(await drift()).toEqual({ stored: 0, live: 0 });
  });

  it('are readable by the Grafana role, which cannot write them nor see their lock table', async () => {
    const grafana = postgres(db.grafanaUrl, { max: 1, onnotice: () => {} });
    try {
      const rows = await grafana`select count(*)::int as n from daily_health where user_id = ${USER}`;
      expect(rows[0]?.n).toBeGreaterThan(15);
      await grafana`select count(*) from daily_health_rollup`;
      await expect(grafana`select * from daily_health_refresh`).rejects.toThrow(/permission denied/);
      await expect(grafana`delete from daily_health_rollup`).rejects.toThrow(/permission denied|read-only/);
    } finally {
      await grafana.end();
    }
  });
});
