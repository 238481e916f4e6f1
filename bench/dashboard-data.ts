// The dashboard benchmark's data: N users × the sandbox's full history (5 years + 30 days) stored
// through upsertRecords in bulk, or M users × the last year cloned in SQL from a few stored ones (the stored daily rows computed once
// after the load); and the pipeline tables as a month of syncing N users leaves them
// (generated in SQL): backfill runs and coverage for every window, an incremental sync every 15 minutes
// per user and kind for 30 days, per-minute request counters, watermarks and some quarantine.
import { upsertRecords } from '../store/records.ts';
import type { BenchDatabase } from './harness.ts';
import { chunks, generateUsers } from './whoop-data.ts';

export interface LoadedData {
  users: string[];
  records: number;
  syncRuns: number;
  loadSeconds: number;
  recordsPerSecond: number;
  /** Seconds of wearhouse_rebuild_daily_summary() over everything loaded (the stored daily rows). */
  rebuildSeconds: number;
}

/**
 * Bulk loads run with the records triggers off and the stored daily rows computed once at the end,
 * as a migration fills them (sql/080): the trigger would recompute a user's whole history for each
 * 5000-record call, whose records span years. Its cost per pipeline page is measured apart
 * (bench/write-path.ts).
 */
async function withoutDailyTriggers(db: BenchDatabase, load: () => Promise<void>): Promise<number> {
  await db.sql`alter table records disable trigger user`;
  try {
    await load();
  } finally {
    await db.sql`alter table records enable trigger user`;
  }
  const started = performance.now();
  await db.sql`select wearhouse_rebuild_daily_summary()`;
  return (performance.now() - started) / 1000;
}

export async function loadDashboardData(
  db: BenchDatabase,
  userCount: number,
  log: (line: string) => void,
): Promise<LoadedData> {
  const started = performance.now();
  const users = Array.from({ length: userCount }, (_, i) => `user-${String(i + 1).padStart(3, '0')}`);
  let records = 0;
  let recordSeconds = 0;
  const rebuildSeconds = await withoutDailyTriggers(db, async () => {
    // Generation (CPU, this process) overlaps the previous user's upserts (Postgres' process).
    let writing: Promise<void> = Promise.resolve();
    for await (const user of generateUsers(users)) {
      await writing;
      records += user.records.length;
      writing = (async () => {
        for (const chunk of chunks(user.records, 5000))
          await upsertRecords(db.sql, 'whoop', user.userId, chunk);
      })();
      if (users.indexOf(user.userId) % 10 === 9) log(`dashboards: ${records} records stored`);
    }
    await writing;
    recordSeconds = (performance.now() - started) / 1000;
  });
  log(`dashboards: stored daily rows computed in ${Math.round(rebuildSeconds)} s`);
  await seedPipeline(db, users, 30);
  // records_ingested_hourly: the records were stored with the records triggers off.
  await db.sql`select wearhouse_rebuild_pipeline_hourly()`;
  const [runs] = await db.sql<{ n: number }[]>`select count(*)::int as n from sync_runs`;
  await db.sql`vacuum analyze`;
  return {
    users,
    records,
    syncRuns: runs?.n ?? 0,
    loadSeconds: (performance.now() - started) / 1000,
    recordsPerSecond: records / recordSeconds,
    rebuildSeconds,
  };
}

const YEAR_AND_A_MONTH_MS = 395 * 86_400_000;

/**
 * `userCount` users × the last year + 30 days: `templates` users generated and stored through
 * upsertRecords, the others cloned from them in SQL with their stored daily rows (one INSERT … SELECT
 * per 100 users and table). `syncDays`
 * days of 15-minute incremental syncs in the run ledger.
 */
export async function loadWideData(
  db: BenchDatabase,
  userCount: number,
  templates: number,
  syncDays: number,
  log: (line: string) => void,
): Promise<LoadedData> {
  const started = performance.now();
  const users = Array.from({ length: userCount }, (_, i) => `user-${String(i + 1).padStart(4, '0')}`);
  const since = Date.now() - YEAR_AND_A_MONTH_MS;
  let recordSeconds = 0;
  // The templates' daily rows are computed (timed); a clone's records are its template's, so its
  // stored rows are copied too rather than computed again.
  const rebuildSeconds = await withoutDailyTriggers(db, async () => {
    for await (const user of generateUsers(users.slice(0, templates))) {
      const recent = user.records.filter((r) => (r.startAt?.getTime() ?? Date.now()) >= since);
      for (const chunk of chunks(recent, 5000)) await upsertRecords(db.sql, 'whoop', user.userId, chunk);
    }
  });
  // The stored rows are copied too (their triggers off), and the across-user sums summed once after.
  await db.sql`alter table records disable trigger user`;
  await db.sql`alter table daily_summary_rollup disable trigger user`;
  try {
    for (let i = templates; i < users.length; i += 100) {
      const batch = users.slice(i, i + 100);
      for (const table of [
        'records',
        'daily_summary_rollup',
        'daily_health_by_source_rollup',
        'daily_health_rollup',
        'sleeps_stored',
        'workouts_stored',
        'recoveries_stored',
      ]) {
        const columns = (
          await db.sql<{ name: string }[]>`
            select column_name as name from information_schema.columns
            where table_schema = current_schema() and table_name = ${table} and column_name <> 'user_id'
            order by ordinal_position`
        ).map((c) => `"${c.name}"`);
        await db.sql.unsafe(
          `insert into ${table} (user_id, ${columns.join(', ')})
           select c.id, ${columns.map((c) => `r.${c}`).join(', ')}
           from unnest($1::text[]) with ordinality as c(id, n)
           join ${table} r on r.user_id = ($2::text[])[1 + ((c.n - 1 + $3) % $4)]`,
          [batch, users.slice(0, templates), i, templates],
        );
      }
      log(`dashboards: ${i + batch.length} of ${users.length} users stored`);
    }
  } finally {
    await db.sql`alter table records enable trigger user`;
    await db.sql`alter table daily_summary_rollup enable trigger user`;
  }
  await db.sql`select wearhouse_rebuild_daily_across_users()`;
  recordSeconds = (performance.now() - started) / 1000 - rebuildSeconds;
  log(`dashboards: templates' stored daily rows computed in ${Math.round(rebuildSeconds)} s`);
  await seedPipeline(db, users, syncDays);
  await db.sql`select wearhouse_rebuild_pipeline_hourly()`;
  const [counts] = await db.sql<{ records: number; runs: number }[]>`
    select (select count(*)::int from records) as records, (select count(*)::int from sync_runs) as runs`;
  await db.sql`vacuum analyze`;
  return {
    users,
    records: counts?.records ?? 0,
    syncRuns: counts?.runs ?? 0,
    loadSeconds: (performance.now() - started) / 1000,
    recordsPerSecond: (counts?.records ?? 0) / recordSeconds,
    rebuildSeconds,
  };
}

async function seedPipeline(db: BenchDatabase, users: string[], syncDays: number): Promise<void> {
  await db.sql.begin(async (sql) => {
    await sql`select setseed(0.42)`;
    await sql`create temp table bench_users on commit drop as
              select id, row_number() over (order by id) as n from unnest(${users}::text[]) as id`;
    await sql`create temp table bench_kinds on commit drop as
              select * from (values ('cycle', '/v2/cycle'), ('sleep', '/v2/activity/sleep'),
                ('recovery', '/v2/recovery'), ('workout', '/v2/activity/workout')) as k(kind, endpoint)`;
    await sql`insert into users (id, created_at) select id, now() - interval '31 days' from bench_users
              on conflict do nothing`;
    await sql`
      insert into connections (provider, user_id, status, external_user_id, created_at)
      select 'whoop', id, 'active', (100000 + n)::text, now() - interval '31 days' from bench_users
      on conflict do nothing`;
    // The initial backfill, a month ago: one run and one coverage span per 30-day window.
    await sql`
      create temp table bench_windows on commit drop as
      select u.id as user_id, u.n, k.kind, k.endpoint, w as lower,
             least(w + interval '30 days', now() - interval '31 days') as upper
      from bench_users u cross join bench_kinds k
      cross join generate_series(now() - interval '5 years 31 days', now() - interval '31 days 1 second',
                                 interval '30 days') as w`;
    await sql`
      insert into coverage (provider, user_id, kind, span, final, records, workflow_id, covered_at)
      select 'whoop', user_id, kind, tstzrange(lower, upper, '[)'), true, 30, 'backfill:whoop:' || user_id,
             now() - interval '30 days'
      from bench_windows`;
    await sql`
      insert into sync_runs (workflow_id, run_id, workflow_type, activity, attempt, provider, user_id, kind,
        window_start, window_end, status, started_at, finished_at, duration_ms, pages, fetched, inserted,
        api_calls, throttle_wait_ms)
      select 'backfill:whoop:' || user_id, 'run-backfill', 'backfill', 'syncWindow', 1, 'whoop', user_id, kind,
        lower, upper, 'completed', t, t + d * interval '1 millisecond', d, 2, 30, 30, 2, (random() * 2000)::int
      from (select *, now() - interval '30 days' + n * interval '1 minute' as t,
                   (2000 + random() * 3000)::int as d from bench_windows) x`;
    // Incremental syncs: every 15 minutes per user and kind for `syncDays` days; ~1 % fail.
    await sql`
      insert into sync_runs (workflow_id, run_id, workflow_type, activity, attempt, provider, user_id, kind,
        window_start, window_end, status, started_at, finished_at, duration_ms, pages, fetched, unchanged,
        updated, api_calls, throttle_wait_ms, error_class, error_message)
      select 'sync:whoop:' || u.id, 'run-' || s::text, 'incrementalSync', 'syncWindow', 1, 'whoop', u.id, k.kind,
        t - interval '7 days', t, case when f then 'failed' else 'completed' end, t,
        t + interval '1 second', 1000, 1, case when f then 0 else 8 end, case when f then 0 else 7 end,
        case when f then 0 else 1 end, 1, (random() * 500)::int,
        case when f then 'ProviderUnavailable' end, case when f then 'WHOOP GET ' || k.endpoint || ': HTTP 503' end
      from bench_users u cross join bench_kinds k
      cross join generate_series(1, ${syncDays * 96}::int) as s
      cross join lateral (select now() - s * interval '15 minutes' + u.n * interval '7 seconds' as t,
                                 random() < 0.01 as f) x`;
    // A few windows still running.
    await sql`
      insert into sync_runs (workflow_id, run_id, workflow_type, activity, attempt, provider, user_id, kind,
        window_start, window_end, status, started_at)
      select 'sync:whoop:' || id, 'run-now', 'incrementalSync', 'syncWindow', 1, 'whoop', id, 'sleep',
        now() - interval '7 days', now(), 'running', now() - interval '20 seconds'
      from bench_users where n % 25 = 0`;
    await sql`
      insert into sync_watermarks (provider, user_id, kind, watermark, updated_at)
      select 'whoop', u.id, k.kind, now() - interval '10 minutes', now() - interval '10 minutes'
      from bench_users u cross join bench_kinds k`;
    // Request counters: every minute of the 30-day retention, per endpoint; a few 429s and 503s.
    await sql`
      insert into provider_requests (minute, provider, endpoint, status, requests, total_latency_ms, max_latency_ms)
      select m, 'whoop', k.endpoint, 200, r, r * (40 + (random() * 60)::int), 100 + (random() * 400)::int
      from generate_series(date_trunc('minute', now() - interval '30 days'), now(), interval '1 minute') as m
      cross join bench_kinds k
      cross join lateral (select ${Math.max(1, Math.round(users.length / 15))} + (random() * 3)::int as r) x`;
    await sql`
      insert into provider_requests (minute, provider, endpoint, status, requests)
      select m, 'whoop', '/v2/activity/sleep', case when random() < 0.5 then 429 else 503 end, 1
      from generate_series(date_trunc('minute', now() - interval '30 days'), now(), interval '1 minute') as m
      where random() < 0.002
      on conflict do nothing`;
    await sql`
      insert into quarantine (fingerprint, provider, user_id, kind, source_id, reason, payload, workflow_id,
                              created_at)
      select 'bench-' || id || '-' || g, 'whoop', id, 'sleep', 'bad-' || g,
        'score.stage_summary.total_in_bed_time_milli: Invalid input: expected number, received string',
        '{"id": "broken"}'::jsonb, 'sync:whoop:' || id, now() - g * interval '3 days'
      from bench_users cross join generate_series(1, 3) as g
      where n % 10 = 0`;
  });
}
