// The across-user rows (sql/093, sql/121, sql/122; docs/views.md, "Across-user daily rows") against
// their definitions recomputed from the per-user rows, after the pipeline's writes of several users,
// and two users of one bucket writing crosswise days at once (sql/120's bucket lock: both commit,
// where they used to deadlock). Real Postgres, the project's own store functions.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectDashboardTargets, expandPanelSql, panelIntervalMs } from '../grafana/macros.ts';
import { renderDashboards } from '../grafana/src/dashboards.ts';
import type { MappedRecord } from '../providers/types.ts';
import { softDeleteUnseen, upsertRecords } from '../store/records.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { type MultiSourceData, must, seedMultiSource } from './support/multi-source.ts';
import { day } from './support/whoop-stack.ts';

const USER = 'across-ada';
let db: TestDatabase;
let data: MultiSourceData;
/** Two more users in USER's bucket, and one in another. */
let sameBucket: [string, string];
let otherBucket: string;

// Each stored table against the same figures computed from what it summarises (floats to 6
// decimals: the stored sums are added and subtracted in write order).
const DEFINITIONS: [string, string, string][] = [
  [
    'sleep_nights',
    'user_id, provider, day, asleep_h, need_h, performance_pct, efficiency_pct, consistency_pct, respiratory_rate_bpm, bedtime_h, wake_h, debt_h',
    `select user_id, provider, day, sum(asleep_h) as asleep_h, max(need_h) as need_h,
       avg(performance_pct) as performance_pct, avg(efficiency_pct) as efficiency_pct,
       avg(consistency_pct) as consistency_pct, avg(respiratory_rate_bpm) as respiratory_rate_bpm,
       (extract(epoch from min(start_local) - day::timestamp) / 3600)::float8 as bedtime_h,
       (extract(epoch from max(end_local) - day::timestamp) / 3600)::float8 as wake_h,
       max(debt_h) as debt_h
     from sleeps where day is not null and not is_nap group by 1, 2, 3`,
  ],
  [
    'workout_days',
    'user_id, provider, day, workouts',
    `select user_id, provider, day, count(*)::int as workouts from workouts where day is not null group by 1, 2, 3`,
  ],
  [
    'workout_weeks',
    'user_id, provider, week, duration_min',
    `select user_id, provider, date_trunc('week', day)::date as week, sum(duration_min) as duration_min
     from workouts where day is not null group by 1, 2, 3`,
  ],
  [
    '(select * from daily_summary_across_users where users <> 0) as a',
    'provider, day, bucket, users, recovery_pct_sum, recovery_pct_n, hrv_ms_sum, hrv_ms_n, sleep_h_sum, sleep_h_n, day_strain_sum, day_strain_n',
    `select provider, day, ((hashtext(user_id) & 15))::smallint as bucket, count(*)::int as users,
       coalesce(sum(recovery_pct), 0) as recovery_pct_sum, count(recovery_pct)::int as recovery_pct_n,
       coalesce(sum(hrv_ms), 0) as hrv_ms_sum, count(hrv_ms)::int as hrv_ms_n,
       coalesce(sum(sleep_h), 0) as sleep_h_sum, count(sleep_h)::int as sleep_h_n,
       coalesce(sum(day_strain), 0) as day_strain_sum, count(day_strain)::int as day_strain_n
     from daily_summary_rollup group by 1, 2, 3`,
  ],
  [
    '(select * from sleep_nights_across_users where users <> 0) as a',
    'provider, day, bucket, users, asleep_h_sum, asleep_h_n, need_h_sum, need_h_n, efficiency_pct_sum, efficiency_pct_n, bedtime_h_sum, bedtime_h_n, debt_h_sum, debt_h_n',
    `select provider, day, ((hashtext(user_id) & 15))::smallint as bucket, count(*)::int as users,
       coalesce(sum(asleep_h), 0) as asleep_h_sum, count(asleep_h)::int as asleep_h_n,
       coalesce(sum(need_h), 0) as need_h_sum, count(need_h)::int as need_h_n,
       coalesce(sum(efficiency_pct), 0) as efficiency_pct_sum, count(efficiency_pct)::int as efficiency_pct_n,
       coalesce(sum(bedtime_h), 0) as bedtime_h_sum, count(bedtime_h)::int as bedtime_h_n,
       coalesce(sum(debt_h), 0) as debt_h_sum, count(debt_h)::int as debt_h_n
     from sleep_nights group by 1, 2, 3`,
  ],
  [
    '(select * from daily_health_by_source_across_users where rows <> 0) as a',
    'provider, label, day, bucket, rows, sleep_min_sum, sleep_min_n, resting_hr_bpm_sum, resting_hr_bpm_n, recovery_score_sum, recovery_score_n, steps_sum, steps_n, hrv_rmssd_ms_sum, hrv_rmssd_ms_n, hrv_sdnn_ms_sum, hrv_sdnn_ms_n',
    `select provider, coalesce(source, provider) as label, day, ((hashtext(user_id) & 15))::smallint as bucket,
       count(*)::int as rows,
       coalesce(sum(sleep_min), 0) as sleep_min_sum, count(sleep_min)::int as sleep_min_n,
       coalesce(sum(resting_hr_bpm), 0) as resting_hr_bpm_sum, count(resting_hr_bpm)::int as resting_hr_bpm_n,
       coalesce(sum(recovery_score), 0) as recovery_score_sum, count(recovery_score)::int as recovery_score_n,
       coalesce(sum(steps), 0) as steps_sum, count(steps)::int as steps_n,
       coalesce(sum(hrv_rmssd_ms), 0) as hrv_rmssd_ms_sum, count(hrv_rmssd_ms)::int as hrv_rmssd_ms_n,
       coalesce(sum(hrv_sdnn_ms), 0) as hrv_sdnn_ms_sum, count(hrv_sdnn_ms)::int as hrv_sdnn_ms_n
     from daily_health_by_source_rollup group by 1, 2, 3, 4`,
  ],
  [
    'recovery_band_months',
    'user_id, provider, month, red, yellow, green',
    `select user_id, provider, date_trunc('month', day)::date as month,
       count(*) filter (where band = 'red') as red, count(*) filter (where band = 'yellow') as yellow,
       count(*) filter (where band = 'green') as green
     from recoveries where day is not null and band is not null group by 1, 2, 3`,
  ],
  [
    'sleep_source_months',
    'user_id, provider, label, month, nights, sleep_min_sum, sleep_min_n, deep_min_sum, deep_min_n, sleep_efficiency_pct_sum, sleep_efficiency_pct_n, mirrored',
    `select user_id, provider, coalesce(source, provider) as label, date_trunc('month', day)::date as month,
       count(*) as nights, sum(sleep_min) as sleep_min_sum, count(sleep_min) as sleep_min_n,
       sum(deep_min) as deep_min_sum, count(deep_min) as deep_min_n,
       sum(sleep_efficiency_pct) as sleep_efficiency_pct_sum, count(sleep_efficiency_pct) as sleep_efficiency_pct_n,
       bool_or(mirror_of is not null) as mirrored
     from daily_health_by_source_rollup where sleep_min is not null group by 1, 2, 3, 4`,
  ],
  [
    '(select * from daily_health_across_users where users <> 0) as a',
    'day, bucket, recovery_score_kind, hrv_kind, users, recovery_score_sum, recovery_score_n, hrv_ms_sum, hrv_ms_n, resting_hr_bpm_sum, resting_hr_bpm_n, sleep_h_sum, sleep_h_n, steps_sum, steps_n, active_energy_kcal_sum, active_energy_kcal_n',
    `select day, ((hashtext(user_id) & 15))::smallint as bucket, recovery_score_kind, hrv_kind, count(*)::int as users,
       coalesce(sum(recovery_score), 0) as recovery_score_sum, count(recovery_score)::int as recovery_score_n,
       coalesce(sum(hrv_ms), 0) as hrv_ms_sum, count(hrv_ms)::int as hrv_ms_n,
       coalesce(sum(resting_hr_bpm), 0) as resting_hr_bpm_sum, count(resting_hr_bpm)::int as resting_hr_bpm_n,
       coalesce(sum(sleep_h), 0) as sleep_h_sum, count(sleep_h)::int as sleep_h_n,
       coalesce(sum(steps), 0) as steps_sum, count(steps)::int as steps_n,
       coalesce(sum(active_energy_kcal), 0) as active_energy_kcal_sum, count(active_energy_kcal)::int as active_energy_kcal_n
     from daily_health_rollup group by 1, 2, 3, 4`,
  ],
  [
    '(select * from workout_days_across_users where users <> 0) as a',
    'provider, day, bucket, users, workouts',
    `select provider, day, ((hashtext(user_id) & 15))::smallint as bucket, count(*)::int as users,
       sum(workouts)::int as workouts
     from workout_days group by 1, 2, 3`,
  ],
  [
    '(select * from workout_weeks_across_users where users <> 0) as a',
    'provider, week, bucket, users, hours_sum, hours_n',
    `select provider, week, ((hashtext(user_id) & 15))::smallint as bucket, count(*)::int as users,
       coalesce(sum(duration_min / 60), 0) as hours_sum, count(duration_min)::int as hours_n
     from workout_weeks group by 1, 2, 3`,
  ],
];

/** Rows of each stored table not in its definition and the reverse (all zero when exact). */
async function drift(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [stored, columns, definition] of DEFINITIONS) {
    const list = columns
      .split(', ')
      .map((c) => (/_sum$|_h$|_pct$|_bpm$|_min$|_ms$/.test(c) ? `round(${c}::numeric, 6) as ${c}` : c))
      .join(', ');
    const a = `select ${list} from ${stored}`;
    const b = `select ${list} from (${definition}) d`;
    const name = stored.replace(/^\(select \* from (\w+).*$/, '$1');
    out[`${name} only`] = (await db.sql.unsafe(`${a} except all ${b}`)).length;
    out[`${name} missing`] = (await db.sql.unsafe(`${b} except all ${a}`)).length;
  }
  return out;
}

const EXACT = Object.fromEntries(
  DEFINITIONS.flatMap(([stored]) => {
    const name = stored.replace(/^\(select \* from (\w+).*$/, '$1');
    return [
      [`${name} only`, 0],
      [`${name} missing`, 0],
    ];
  }),
);

/** USER's records of every provider, stored again as `user` (the records trigger computes its rows). */
async function copyUser(user: string): Promise<void> {
  await db.sql`
    insert into records (provider, user_id, kind, source_id, start_at, end_at, tz_offset, local_day,
      provider_updated_at, payload, parent_kind, parent_source_id, source)
    select provider, ${user}, kind, source_id, start_at, end_at, tz_offset, local_day,
      provider_updated_at, payload, parent_kind, parent_source_id, source
    from records where user_id = ${USER}`;
}

async function storedRecord(user: string, kind: string, sourceId: string): Promise<MappedRecord> {
  const [r] = await db.sql<
    {
      start_at: Date | null;
      end_at: Date | null;
      tz_offset: string | null;
      local_day: Date | null;
      provider_updated_at: Date | null;
      payload: Record<string, unknown>;
      source: string | null;
    }[]
  >`select start_at, end_at, tz_offset, local_day, provider_updated_at, payload, source from records
    where provider = 'whoop' and user_id = ${user} and kind = ${kind} and source_id = ${sourceId}`;
  const row = must(r);
  return {
    kind,
    sourceId,
    startAt: row.start_at,
    endAt: row.end_at,
    tzOffset: row.tz_offset,
    localDay: row.local_day ? row.local_day.toISOString().slice(0, 10) : null,
    providerUpdatedAt: row.provider_updated_at,
    payload: row.payload,
    source: row.source,
  };
}

/** The cycle rescored with `strain`, newer than what is stored. */
function rescored(record: MappedRecord, strain: number): MappedRecord {
  return {
    ...record,
    providerUpdatedAt: new Date(),
    payload: { ...record.payload, score: { ...(record.payload.score as object), strain } },
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  data = await seedMultiSource(db.sql, USER, day(-21), day(0));
  const bucketOf = async (user: string) =>
    must((await db.sql<{ b: number }[]>`select wearhouse_user_bucket(${user}) as b`)[0]).b;
  const mine = await bucketOf(USER);
  const candidates = Array.from({ length: 200 }, (_, i) => `across-${i}`);
  const same: string[] = [];
  for (const c of candidates) {
    const b = await bucketOf(c);
    if (b === mine && same.length < 2) same.push(c);
    else if (b !== mine) otherBucket ??= c;
  }
  same.sort();
  sameBucket = [must(same[0]), must(same[1])];
  for (const user of [...sameBucket, otherBucket]) await copyUser(user);
}, 180_000);

afterAll(async () => {
  await data?.close();
  await db?.close();
});

/**
 * A panel's rows with every user selected ("All": the stored sums over users) and with the same users
 * selected as "some" (an extra user row makes the selection not "All": the per-user rows), over the
 * last `days` days, as the Grafana role runs it.
 */
async function allAndSome(dashboard: string, title: string, days: number) {
  const target = must(
    [...renderDashboards().values()]
      .flatMap((json) => collectDashboardTargets(JSON.parse(json)))
      .find((t) => t.dashboard === dashboard && t.panelTitle === title),
  );
  const users = (await db.sql<{ user_id: string }[]>`select distinct user_id from records order by 1`).map(
    (r) => r.user_id,
  );
  await db.sql`insert into users (id) select unnest(${users}::text[]) on conflict do nothing`;
  const sources = (
    await db.sql<{ s: string }[]>`select distinct coalesce(source, provider) as s from daily_health_by_source`
  ).map((r) => r.s);
  const providers = (await db.sql<{ p: string }[]>`select distinct provider as p from records`).map(
    (r) => r.p,
  );
  const to = new Date();
  const from = new Date(to.getTime() - days * 86_400_000);
  const run = async () => {
    const text = expandPanelSql(target.rawSql, {
      from,
      to,
      intervalMs: panelIntervalMs(from, to),
      variables: { user: users, provider: providers, source: sources },
    });
    const grafana = postgres(db.grafanaUrl, { max: 1, onnotice: () => {} });
    try {
      return await grafana.unsafe(text).simple();
    } finally {
      await grafana.end();
    }
  };
  const all = await run();
  await db.sql`insert into users (id) values ('across-nobody')`;
  try {
    return { all, some: await run() };
  } finally {
    await db.sql`delete from users where id = 'across-nobody'`;
  }
}

describe('across-user rows', () => {
  it('hold the sums of the per-user rows of several users, kept by the records writes', async () => {
    expect(await drift()).toEqual(EXACT);
    // Not vacuously: four users, sharing rows of one bucket.
    const [n] = await db.sql<{ users: number; nights: number; weeks: number }[]>`
      select (select max(users) from sleep_nights_across_users)::int as users,
             (select count(distinct user_id) from sleep_nights)::int as nights,
             (select count(distinct user_id) from workout_weeks)::int as weeks`;
    expect(must(n)).toEqual({ users: 3, nights: 4, weeks: 4 });
  });

  it('follow rescored, soft-deleted and deleted records', async () => {
    const [first, second] = sameBucket;
    const [cycle] = await db.sql<{ source_id: string }[]>`
      select source_id from records where provider = 'whoop' and user_id = ${first} and kind = 'cycle'
      order by start_at desc limit 1`;
    await upsertRecords(db.sql, 'whoop', first, [
      rescored(await storedRecord(first, 'cycle', must(cycle).source_id), 20.5),
    ]);
    // A re-fetched span that no longer holds the newest week's sleeps and workouts of one user.
    const since = new Date(Date.now() - 7 * 86_400_000);
    for (const kind of ['sleep', 'workout'])
      await softDeleteUnseen(
        db.sql,
        { provider: 'whoop', userId: second, kind, start: since, end: new Date() },
        [],
      );
    await db.sql`delete from records where user_id = ${otherBucket} and kind = 'workout'`;
    expect(await drift()).toEqual(EXACT);
    const [gone] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from workout_days where user_id = ${otherBucket}`;
    expect(must(gone).n).toBe(0);
  });

  it('let two users of one bucket write crosswise days at once: both commit', async () => {
    const [first, second] = sameBucket;
    const cycles = await db.sql<{ source_id: string }[]>`
      select source_id from records where provider = 'whoop' and user_id = ${USER} and kind = 'cycle'
        and deleted_at is null
      order by start_at`;
    // The oldest and the newest cycle: days three weeks apart, so their across-user rows differ.
    const oldest = must(cycles[0]).source_id;
    const newest = must(cycles[cycles.length - 1]).source_id;
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
      let secondWroteOnce = false;
      // A writes the newest day, then (after B has started) the oldest; B the oldest, then the newest.
      const a = db.sql.begin(async (tx) => {
        await upsertRecords(tx, 'whoop', first, [rescored(await storedRecord(first, 'cycle', newest), 11)]);
        firstWrote();
        await held;
        await upsertRecords(tx, 'whoop', first, [rescored(await storedRecord(first, 'cycle', oldest), 12)]);
      });
      await wrote;
      const oldB = rescored(await storedRecord(second, 'cycle', oldest), 13);
      const newB = rescored(await storedRecord(second, 'cycle', newest), 14);
      const b = other.begin(async (tx) => {
        await upsertRecords(tx as never, 'whoop', second, [oldB]);
        secondWroteOnce = true;
        await upsertRecords(tx as never, 'whoop', second, [newB]);
      });
      // B waits for A's bucket lock (without it, B's first write would go through and the two
      // transactions would then wait for each other's rows).
      let blocked = 0;
      for (let i = 0; i < 150 && blocked === 0 && !secondWroteOnce; i++) {
        const [w] = await db.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`;
        blocked = w?.n ?? 0;
        if (blocked === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      release();
      const outcomes = await Promise.allSettled([a, b]);
      expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'committed'))).toEqual([
        'committed',
        'committed',
      ]);
      expect(blocked).toBe(1);
      expect(secondWroteOnce).toBe(true);
    } finally {
      await other.end();
    }
    const strains = await db.sql<{ user_id: string; day_strain: number }[]>`
      select user_id, day_strain from daily_summary
      where provider = 'whoop' and user_id in (${first}, ${second}) and source_id in (${oldest}, ${newest})
      order by user_id, day`;
    expect(strains.map((s) => s.day_strain)).toEqual([12, 11, 13, 14]);
    expect(await drift()).toEqual(EXACT);
  });

  it('are recomputed from scratch by wearhouse_rebuild_daily_across_users()', async () => {
    await db.sql`update sleep_nights_across_users set asleep_h_sum = asleep_h_sum + 1`;
    await db.sql`delete from workout_weeks_across_users`;
    expect((await drift())['sleep_nights_across_users only']).toBeGreaterThan(0);
    await db.sql`select wearhouse_rebuild_daily_across_users()`;
    expect(await drift()).toEqual(EXACT);
  });

  it('are readable by the Grafana role, not the bucket locks', async () => {
    const grafana = postgres(db.grafanaUrl, { max: 1, onnotice: () => {} });
    try {
      for (const table of [
        'sleep_nights_across_users',
        'workout_days_across_users',
        'workout_weeks_across_users',
      ])
        expect((await grafana.unsafe(`select count(*)::int as n from ${table}`))[0]?.n).toBeGreaterThan(0);
      await expect(grafana`select * from across_user_bucket_locks`).rejects.toThrow(/permission denied/);
    } finally {
      await grafana.end();
    }
  });

  // The per-source panels with more than one user selected draw the mean over the users' rows per
  // source (docs/dashboards.md, "Many users"): from daily_health_by_source_across_users with every
  // user, from the rows with some. One more user in the list makes the same selection "some users".
  it.each([
    ['Overview', 'Sleep by source'],
    ['Overview', 'Resting heart rate by source'],
    ['Overview', 'Steps by source'],
    ['Compare sources', 'Hours asleep by source'],
    ['Compare sources', 'Resting heart rate by source'],
    ['Compare sources', 'Recovery and readiness by source'],
    ['Compare sources', 'HRV by source and kind'],
    ['Overview', 'Recovery / readiness'],
    ['Overview', 'HRV'],
    ['Overview', 'Resting heart rate'],
    ['Overview', 'Sleep'],
    ['Overview', 'Steps'],
    ['Overview', 'Active energy'],
    ['Overview', 'Recovery / readiness (preferred source)'],
  ])('draw the same per-source means for %s / %s with every user as with some', async (dashboard, title) => {
    const { all, some } = await allAndSome(dashboard, title, 30);
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((r) => String(r.metric).startsWith('mean of selected users'))).toBe(true);
    expect(all.map((r) => `${r.time} ${r.metric}`)).toEqual(some.map((r) => `${r.time} ${r.metric}`));
    all.forEach((r, i) => {
      for (const [column, value] of Object.entries(r)) {
        if (column === 'time' || column === 'metric') continue;
        expect(Number(value), `${r.time} ${r.metric} ${column}`).toBeCloseTo(Number(some[i]?.[column]), 6);
      }
    });
  });

  it('list the same nights and mean stages per user and source in Sleep stages by source with every user as with some', async () => {
    // A range over two month boundaries: whole months from the stored sums, the ends from the rows.
    const { all, some } = await allAndSome('Compare sources', 'Sleep stages by source', 75);
    expect(all.length).toBeGreaterThan(4);
    expect(all.map((r) => `${r.user} ${r.source} ${r.nights} ${r['copy of another provider']}`)).toEqual(
      some.map((r) => `${r.user} ${r.source} ${r.nights} ${r['copy of another provider']}`),
    );
    all.forEach((r, i) => {
      for (const column of [
        'asleep min',
        'in bed min',
        'deep min',
        'REM min',
        'light min',
        'awake min',
        'efficiency %',
      ]) {
        const [a, b] = [r[column], some[i]?.[column]];
        if (a === null || b === null) expect(a, column).toBe(b);
        else expect(Number(a), `${r.user} ${r.source} ${column}`).toBeCloseTo(Number(b), 6);
      }
    });
  });
});
