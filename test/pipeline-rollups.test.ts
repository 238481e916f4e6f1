// The hourly pipeline rollups (sql/091_pipeline_hourly.sql) and the indexed pipeline_freshness
// (sql/092; docs/views.md, "Hourly pipeline rollups") against the run ledger and records they
// summarise: runs opened, advanced and closed through the project's own store functions, bulk
// inserts, updates and deletes, records stored and hard-deleted. Real Postgres.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MappedRecord } from '../providers/types.ts';
import { upsertRecords } from '../store/records.ts';
import { closeRun, openRun, type RunCounts, updateRunCounts } from '../store/runs.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

let db: TestDatabase;

const counts = (n: number): RunCounts => ({
  pages: 1,
  fetched: n,
  inserted: n,
  updated: n + 1,
  unchanged: n + 2,
  quarantined: n % 2,
  deleted: n % 3,
  apiCalls: 1,
  rateLimited: 0,
  throttleWaitMs: 0,
});

/** The rollup's sums per user, hour and status against the same sums over sync_runs; differences only. */
async function runsDrift() {
  const rolled = `
    select user_id, provider, started_hour, finished_hour, status, coalesce(error_class, '') as class,
      sum(runs)::int as runs, sum(inserted)::int as inserted, sum(updated)::int as updated,
      sum(unchanged)::int as unchanged, sum(quarantined)::int as quarantined, sum(deleted)::int as deleted
    from sync_runs_hourly group by 1, 2, 3, 4, 5, 6 having sum(runs) <> 0`;
  const raw = `
    select user_id, provider, date_trunc('hour', started_at), date_trunc('hour', finished_at), status,
      coalesce(error_class, ''), count(*)::int, sum(inserted)::int, sum(updated)::int, sum(unchanged)::int,
      sum(quarantined)::int, sum(deleted)::int
    from sync_runs group by 1, 2, 3, 4, 5, 6`;
  return [
    ...(await db.sql.unsafe(`${rolled} except all ${raw}`)),
    ...(await db.sql.unsafe(`${raw} except all ${rolled}`)),
  ];
}

/** pipeline_freshness as sql/005 defined it (a grouping of the whole ledger): the reference. */
const FRESHNESS_REFERENCE = `
  with keys as (
    select provider, user_id, kind from sync_runs where kind is not null
    union select provider, user_id, kind from sync_watermarks
    union select provider, user_id, kind from coverage
  )
  select k.provider, k.user_id, k.kind, run.last_success_at, run.last_attempt_at, run.running,
    run.failures_24h, fail.finished_at as last_failure_at, fail.error_class as last_error_class,
    fail.error_message as last_error_message, rec.last_change_at, rec.newest_start_at
  from keys k
  cross join lateral (
    select max(s.finished_at) filter (where s.status = 'completed') as last_success_at,
      max(s.started_at) as last_attempt_at, coalesce(bool_or(s.status = 'running'), false) as running,
      (count(*) filter (where s.status = 'failed' and s.started_at > now() - interval '24 hours'))::int
        as failures_24h
    from sync_runs s where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind
  ) run
  left join lateral (
    select s.finished_at, s.error_class, s.error_message from sync_runs s
    where s.provider = k.provider and s.user_id = k.user_id and s.kind = k.kind and s.status = 'failed'
    order by s.started_at desc limit 1
  ) fail on true
  cross join lateral (
    select max(r.last_changed_at) as last_change_at, max(r.start_at) as newest_start_at from records r
    where r.provider = k.provider and r.user_id = k.user_id and r.kind = k.kind and r.deleted_at is null
  ) rec`;

const FRESHNESS_COLUMNS = `provider, user_id, kind, last_success_at, last_attempt_at, running, failures_24h,
  last_failure_at, last_error_class, last_error_message, last_change_at, newest_start_at`;

async function freshnessDrift() {
  const view = `select ${FRESHNESS_COLUMNS} from pipeline_freshness`;
  return [
    ...(await db.sql.unsafe(`${view} except all select * from (${FRESHNESS_REFERENCE}) ref`)),
    ...(await db.sql.unsafe(`select * from (${FRESHNESS_REFERENCE}) ref except all ${view}`)),
  ];
}

function record(kind: string, sourceId: string, startAt: Date): MappedRecord {
  return {
    kind,
    sourceId,
    startAt,
    endAt: new Date(startAt.getTime() + 3_600_000),
    tzOffset: '+00:00',
    localDay: startAt.toISOString().slice(0, 10),
    providerUpdatedAt: startAt,
    payload: { id: sourceId },
  } as MappedRecord;
}

beforeAll(async () => {
  db = await createTestDatabase();
}, 120_000);

afterAll(async () => {
  await db?.close();
});

describe('sync_runs_hourly', () => {
  it('follows runs opened, advanced and closed by the store functions', async () => {
    const identity = (user: string, kind: string, attempt: number) => ({
      workflowId: `sync:test:${user}`,
      runId: 'run-1',
      workflowType: 'incrementalSync',
      activity: 'syncWindow',
      attempt,
      provider: 'test',
      userId: user,
      kind,
    });
    const a = await openRun(db.sql, identity('ann', 'sleep', 1));
    const b = await openRun(db.sql, identity('ann', 'cycle', 1));
    const c = await openRun(db.sql, identity('bob', 'sleep', 1));
    expect(await runsDrift()).toEqual([]);
    await updateRunCounts(db.sql, a, counts(3));
    await closeRun(db.sql, a, { status: 'completed', counts: counts(5) });
    await closeRun(db.sql, b, {
      status: 'failed',
      counts: counts(0),
      errorClass: 'ProviderUnavailable',
      errorMessage: 'HTTP 503 first',
    });
    await updateRunCounts(db.sql, c, counts(2));
    expect(await runsDrift()).toEqual([]);
    const d = await openRun(db.sql, identity('ann', 'cycle', 2));
    await closeRun(db.sql, d, {
      status: 'failed',
      counts: counts(0),
      errorClass: 'ProviderUnavailable',
      errorMessage: 'HTTP 503 second',
    });
    expect(await runsDrift()).toEqual([]);
    // The latest failure's message is the row's; the running run is counted as running.
    const [failed] = await db.sql<{ runs: number; last_error_message: string }[]>`
      select sum(runs)::int as runs, (array_agg(last_error_message order by last_started_at desc))[1]
             as last_error_message
      from sync_runs_hourly where user_id = 'ann' and status = 'failed'`;
    expect(failed).toEqual({ runs: 2, last_error_message: 'HTTP 503 second' });
    const [running] = await db.sql<{ runs: number }[]>`
      select sum(runs)::int as runs from sync_runs_hourly where user_id = 'bob' and status = 'running'`;
    expect(running?.runs).toBe(1);
  });

  it('stays exact through bulk inserts across hours, updates that move a run, and deletes', async () => {
    await db.sql`
      insert into sync_runs (workflow_id, run_id, workflow_type, activity, attempt, provider, user_id, kind,
        status, started_at, finished_at, inserted, updated, error_class, error_message)
      select 'sync:test:u' || (g % 7), 'r', 'incrementalSync', 'syncWindow', 1, 'test', 'u' || (g % 7),
        (array['sleep', 'cycle', 'workout'])[1 + g % 3],
        case when g % 11 = 0 then 'failed' else 'completed' end,
        now() - g * interval '13 minutes', now() - g * interval '13 minutes' + interval '90 seconds', g, g % 5,
        case when g % 11 = 0 then 'RateLimited' end, case when g % 11 = 0 then 'HTTP 429 #' || g end
      from generate_series(1, 2000) as g`;
    expect(await runsDrift()).toEqual([]);
    await db.sql`update sync_runs set started_at = started_at - interval '3 hours', inserted = inserted + 1
                 where user_id = 'u3' and started_at > now() - interval '2 days'`;
    await db.sql`update sync_runs set status = 'failed', error_class = 'Other' where user_id = 'u4' and kind = 'cycle'`;
    expect(await runsDrift()).toEqual([]);
    await db.sql`delete from sync_runs where user_id = 'u5'`;
    expect(await runsDrift()).toEqual([]);
    const [n] = await db.sql<{ n: number }[]>`select count(*)::int as n from sync_runs_hourly`;
    expect(n?.n).toBeGreaterThan(100);
  });

  it('is rebuilt from scratch by wearhouse_rebuild_pipeline_hourly()', async () => {
    await db.sql`update sync_runs_hourly set runs = runs + 1 where user_id = 'u1'`;
    expect((await runsDrift()).length).toBeGreaterThan(0);
    await db.sql`select wearhouse_rebuild_pipeline_hourly()`;
    expect(await runsDrift()).toEqual([]);
  });
});

describe('records_ingested_hourly', () => {
  const ingestedDrift = async () => {
    const rolled = `select user_id, provider, kind, hour, records::int from records_ingested_hourly where records <> 0`;
    const raw = `select user_id, provider, kind, date_trunc('hour', first_ingested_at), count(*)::int
                 from records group by 1, 2, 3, 4`;
    return [
      ...(await db.sql.unsafe(`${rolled} except all ${raw}`)),
      ...(await db.sql.unsafe(`${raw} except all ${rolled}`)),
    ];
  };

  it('counts records by the hour they were first stored, not again when updated, less hard deletes', async () => {
    const start = new Date(Date.now() - 5 * 86_400_000);
    const batch = Array.from({ length: 40 }, (_, i) =>
      record(i % 2 ? 'sleep' : 'cycle', `s${i}`, new Date(start.getTime() + i * 3_600_000)),
    );
    await upsertRecords(db.sql, 'test', 'ann', batch);
    await upsertRecords(db.sql, 'test', 'bob', batch.slice(0, 10));
    // Changed payloads: updates, not first ingestions.
    await upsertRecords(
      db.sql,
      'test',
      'ann',
      batch.map((r) => ({ ...r, payload: { id: r.sourceId, changed: true } })),
    );
    expect(await ingestedDrift()).toEqual([]);
    const [ann] = await db.sql<{ n: number }[]>`
      select sum(records)::int as n from records_ingested_hourly where user_id = 'ann'`;
    expect(ann?.n).toBe(40);
    await db.sql`delete from records where user_id = 'bob' and source_id in ('s1', 's2')`;
    expect(await ingestedDrift()).toEqual([]);
  });
});

describe('pipeline_freshness', () => {
  it('answers what the whole-ledger grouping it replaced answered', async () => {
    await db.sql`
      insert into sync_watermarks (provider, user_id, kind, watermark) values ('test', 'carl', 'sleep', now())`;
    const rows = await db.sql.unsafe(FRESHNESS_REFERENCE);
    expect(rows.length).toBeGreaterThan(10);
    // Some keys have each figure, so equality is not vacuous.
    expect(rows.some((r) => r.running)).toBe(true);
    expect(rows.some((r) => r.failures_24h > 0)).toBe(true);
    expect(rows.some((r) => r.last_change_at !== null)).toBe(true);
    expect(await freshnessDrift()).toEqual([]);
  });

  // Its figures are stored per key since sql/123, kept by the ledger's, records' and coverage's writes.
  it('stays the reference through run updates and deletes, record deletes and coverage changes', async () => {
    await db.sql`
      update sync_runs set status = 'failed', error_class = 'Later', error_message = 'moved',
        started_at = now() - interval '1 hour'
      where id = (select max(id) from sync_runs where user_id = 'u2' and kind = 'sleep')`;
    await db.sql`delete from sync_runs where user_id = 'u6' and kind = 'workout'`;
    await db.sql`update records set deleted_at = now() where user_id = 'ann' and source_id in ('s1', 's3')`;
    await db.sql`delete from records where user_id = 'bob' and kind = 'cycle'`;
    await db.sql`
      insert into coverage (provider, user_id, kind, span, final)
      values ('test', 'dora', 'sleep', tstzrange(now() - interval '2 days', now()), true)`;
    expect(await freshnessDrift()).toEqual([]);
    const dora = () => db.sql`select kind from pipeline_freshness where user_id = 'dora'`;
    expect(await dora()).toHaveLength(1);
    await db.sql`delete from coverage where user_id = 'dora'`;
    expect(await dora()).toHaveLength(0);
    const [u2] = await db.sql<{ failures_24h: number; last_error_class: string }[]>`
      select failures_24h, last_error_class from pipeline_freshness where user_id = 'u2' and kind = 'sleep'`;
    expect(u2).toMatchObject({ last_error_class: 'Later' });
    expect(u2?.failures_24h).toBeGreaterThan(0);
    expect(await freshnessDrift()).toEqual([]);
  });

  it('is rebuilt from scratch by wearhouse_rebuild_pipeline_hourly()', async () => {
    await db.sql`update sync_run_latest set last_success_at = null`;
    await db.sql`update records_kind_latest set newest_start_at = null`;
    expect((await freshnessDrift()).length).toBeGreaterThan(0);
    await db.sql`select wearhouse_rebuild_pipeline_hourly()`;
    expect(await freshnessDrift()).toEqual([]);
  });
});
