// The stored daily rows (sql/080_daily_summary_rollup.sql, sql/082_daily_health_rollup.sql,
// sql/100_daily_health_stored.sql; docs/views.md, "Stored daily rows") against the same aggregates
// computed per read (daily_summary_live, daily_health_by_source_live, daily_health_live), after every
// kind of write the pipeline makes: inserts from three sources, updates, soft deletes (re-fetched
// span and single record), a re-import, a record whose day moves, a child stored before its parent,
// two writers at once and a truncate. Real Postgres, the project's own store functions.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MappedRecord } from '../providers/types.ts';
import { deferDailyRows, refreshDeferredDailyRows } from '../store/daily-rollup.ts';
import { softDeleteUnseen, upsertRecords } from '../store/records.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { type MultiSourceData, must, seedMultiSource } from './support/multi-source.ts';
import { DAY_MS, day, iso } from './support/whoop-stack.ts';

const USER = 'rollup-rae';
let db: TestDatabase;
let data: MultiSourceData;

/**
 * Rows in one relation and not the other, both ways (zero when the rollup is exact). Floating sums
 * are compared to 9 decimals: Postgres adds floats in whatever order the plan reads the rows, so the
 * live view itself can differ from run to run in the last bit.
 */
async function drift(userId = USER) {
  const out: Record<string, number> = {};
  for (const [stored, live] of [
    ['daily_summary_rollup', 'daily_summary_live'],
    ['daily_health_by_source_rollup', 'daily_health_by_source_live'],
    ['daily_health_rollup', 'daily_health_live'],
    // The stored typed rows (sql/090) hold the typed views' rows that have a day.
    ['sleeps_stored', '(select * from sleeps where day is not null) as sleeps'],
    ['workouts_stored', '(select * from workouts where day is not null) as workouts'],
    ['recoveries_stored', '(select * from recoveries where day is not null) as recoveries'],
  ] as const) {
    const columns = await db.sql<{ name: string; type: string }[]>`
      select column_name as name, data_type as type from information_schema.columns
      where table_name = ${stored} order by ordinal_position`;
    const list = columns
      .map((c) => (c.type === 'double precision' ? `round(${c.name}::numeric, 9) as ${c.name}` : c.name))
      .join(', ');
    const side = (relation: string) => `select ${list} from ${relation} where user_id = $1`;
    const onlyStored = await db.sql.unsafe(`${side(stored)} except all ${side(live)}`, [userId]);
    const onlyLive = await db.sql.unsafe(`${side(live)} except all ${side(stored)}`, [userId]);
    out[`${stored} only`] = onlyStored.length;
    out[`${live.split(' as ').pop()} only`] = onlyLive.length;
  }
  return out;
}

const EXACT = {
  'daily_summary_rollup only': 0,
  'daily_summary_live only': 0,
  'daily_health_by_source_rollup only': 0,
  'daily_health_by_source_live only': 0,
  'daily_health_rollup only': 0,
  'daily_health_live only': 0,
  'sleeps_stored only': 0,
  'sleeps only': 0,
  'workouts_stored only': 0,
  'workouts only': 0,
  'recoveries_stored only': 0,
  'recoveries only': 0,
};

async function storedDay(provider: string, dayIso: string) {
  const [row] = await db.sql<{ sleep_h: number | null; workout_count: number; day_strain: number | null }[]>`
    select sleep_h, workout_count, day_strain from daily_summary
    where user_id = ${USER} and provider = ${provider} and day = ${dayIso}::date`;
  return row;
}

async function storedRecord(provider: string, kind: string, sourceId: string): Promise<MappedRecord> {
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
    where provider = ${provider} and user_id = ${USER} and kind = ${kind} and source_id = ${sourceId}`;
  const row = must(r);
  return {
    kind,
    sourceId,
    startAt: row.start_at,
    endAt: row.end_at,
    tzOffset: row.tz_offset,
    localDay: row.local_day ? iso(row.local_day) : null,
    providerUpdatedAt: row.provider_updated_at,
    payload: row.payload,
    source: row.source,
  };
}

/** The record rescored: one stage of its sleep `addMs` longer, and a newer provider update. */
function withLongerStage(record: MappedRecord, stage: string, addMs: number): MappedRecord {
  const stages = (record.payload.score as { stage_summary: Record<string, number> }).stage_summary;
  return {
    ...record,
    providerUpdatedAt: new Date(Date.now()),
    payload: {
      ...record.payload,
      score: {
        ...(record.payload.score as object),
        stage_summary: { ...stages, [stage]: (stages[stage] ?? 0) + addMs },
      },
    },
  };
}

async function newest(kind: string, extra = db.sql``) {
  const [r] = await db.sql<{ source_id: string; day: Date }[]>`
    select source_id, local_day as day from records
    where provider = 'whoop' and user_id = ${USER} and kind = ${kind} and deleted_at is null ${extra}
    order by start_at desc limit 1`;
  return must(r);
}

beforeAll(async () => {
  db = await createTestDatabase();
  data = await seedMultiSource(db.sql, USER, day(-21), day(0));
}, 120_000);

afterAll(async () => {
  await data?.close();
  await db?.close();
});

describe('stored daily_summary rows', () => {
  it('hold exactly the live aggregate after the three sources are stored, for each of them', async () => {
    expect(await drift()).toEqual(EXACT);
    const providers = await db.sql<{ provider: string; n: number }[]>`
      select provider, count(*)::int as n from daily_summary where user_id = ${USER} group by 1 order by 1`;
    const live = await db.sql<{ provider: string; n: number }[]>`
      select provider, count(*)::int as n from daily_summary_live where user_id = ${USER} group by 1 order by 1`;
    expect(providers).toEqual(live);
    // WHOOP and Oura at least (Apple Health rows reach daily_summary through its workouts bridge).
    expect(providers.map((p) => p.provider)).toEqual(expect.arrayContaining(['oura', 'whoop']));
    // The stored typed rows are not vacuously equal to the views: both hold this user's rows.
    for (const table of ['sleeps_stored', 'workouts_stored', 'recoveries_stored']) {
      const [n] = await db.sql.unsafe(`select count(*)::int as n from ${table} where user_id = $1`, [USER]);
      expect(n?.n, table).toBeGreaterThan(0);
    }
    expect(must(providers.find((p) => p.provider === 'whoop')).n).toBeGreaterThan(15);
    const sources = await db.sql<{ provider: string }[]>`
      select distinct provider from daily_health_by_source where user_id = ${USER} order by 1`;
    expect(sources.map((s) => s.provider)).toEqual(['apple_health', 'oura', 'whoop']);
  });

  it('follow an updated record (a rescored sleep) in the same transaction', async () => {
    const sleep = await newest(
      'sleep',
      db.sql`and not coalesce((payload ->> 'nap')::boolean, false) and payload -> 'score' -> 'stage_summary' is not null`,
    );
    const record = await storedRecord('whoop', 'sleep', sleep.source_id);
    const before = must(await storedDay('whoop', iso(sleep.day)));
    const rescored = withLongerStage(record, 'total_rem_sleep_time_milli', 3_600_000);
    await db.sql.begin(async (tx) => {
      await upsertRecords(tx, 'whoop', USER, [rescored]);
      const [inside] = await tx<{ sleep_h: number }[]>`
        select sleep_h from daily_summary where user_id = ${USER} and provider = 'whoop' and day = ${sleep.day}`;
      expect(must(inside).sleep_h).toBeCloseTo(must(before.sleep_h) + 1, 6);
    });
    expect(must(await storedDay('whoop', iso(sleep.day))).sleep_h).toBeCloseTo(must(before.sleep_h) + 1, 6);
    expect(await drift()).toEqual(EXACT);
  });

  it('follow soft deletes: a re-fetched span that lost a record, and a single deleted record', async () => {
    const workout = await newest('workout');
    const before = must(await storedDay('whoop', iso(workout.day)));
    const start = new Date(workout.day.getTime() - 2 * DAY_MS);
    const end = new Date(workout.day.getTime() + 2 * DAY_MS);
    const kept = await db.sql<{ source_id: string }[]>`
      select source_id from records where provider = 'whoop' and user_id = ${USER} and kind = 'workout'
        and start_at >= ${start} and start_at < ${end} and source_id <> ${workout.source_id}`;
    const deleted = await softDeleteUnseen(
      db.sql,
      { provider: 'whoop', userId: USER, kind: 'workout', start, end },
      kept.map((k) => k.source_id),
    );
    expect(deleted).toBe(1);
    expect(must(await storedDay('whoop', iso(workout.day))).workout_count).toBe(before.workout_count - 1);
    expect(await drift()).toEqual(EXACT);

    // As a provider's delete notification does it: one statement on one record.
    const cycle = await newest('cycle');
    await db.sql`update records set deleted_at = now() where provider = 'whoop' and user_id = ${USER}
                   and kind = 'cycle' and source_id = ${cycle.source_id}`;
    expect((await storedDay('whoop', iso(cycle.day)))?.day_strain ?? null).toBeNull();
    expect(await drift()).toEqual(EXACT);
  });

  it('are unchanged by a re-import of the same records, and take deleted ones back', async () => {
    const before =
      await db.sql`select * from daily_summary_rollup where user_id = ${USER} order by provider, day`;
    const all = await db.sql<{ kind: string; source_id: string; deleted: boolean }[]>`
      select kind, source_id, deleted_at is not null as deleted from records
      where provider = 'whoop' and user_id = ${USER} and kind in ('cycle', 'sleep', 'workout')`;
    const live = all.filter((r) => !r.deleted);
    const again = await Promise.all(live.map((r) => storedRecord('whoop', r.kind, r.source_id)));
    const counts = await upsertRecords(db.sql, 'whoop', USER, again);
    expect(counts.unchanged).toBe(again.length);
    const after =
      await db.sql`select * from daily_summary_rollup where user_id = ${USER} order by provider, day`;
    expect(after).toEqual(before);

    const gone = all.filter((r) => r.deleted);
    expect(gone.length).toBe(2);
    const back = await Promise.all(gone.map((r) => storedRecord('whoop', r.kind, r.source_id)));
    expect((await upsertRecords(db.sql, 'whoop', USER, back)).updated).toBe(2);
    expect(await drift()).toEqual(EXACT);
    const rows = await db.sql`select count(*)::int as n from daily_summary_rollup where user_id = ${USER}`;
    expect(rows[0]?.n).toBe(before.length);
  });

  it('move a record whose day shifts: the old day loses it, the new day gains it', async () => {
    const workout = await newest('workout');
    const record = await storedRecord('whoop', 'workout', workout.source_id);
    const oldDay = iso(workout.day);
    // Re-dated by the provider five days earlier, in a zone 10 hours east.
    const shift = -5 * DAY_MS;
    const moved: MappedRecord = {
      ...record,
      startAt: new Date(must(record.startAt).getTime() + shift),
      endAt: new Date(must(record.endAt).getTime() + shift),
      tzOffset: '+10:00',
      localDay: null,
      providerUpdatedAt: new Date(),
      payload: {
        ...record.payload,
        start: new Date(must(record.startAt).getTime() + shift).toISOString(),
        end: new Date(must(record.endAt).getTime() + shift).toISOString(),
        timezone_offset: '+10:00',
      },
    };
    const [expected] = await db.sql<{ day: Date }[]>`
      select wearhouse_local(${moved.startAt}::timestamptz, '+10:00')::date as day`;
    const newDay = iso(must(expected).day);
    const before = {
      old: must(await storedDay('whoop', oldDay)).workout_count,
      new: (await storedDay('whoop', newDay))?.workout_count ?? 0,
    };
    await upsertRecords(db.sql, 'whoop', USER, [moved]);
    expect((await storedDay('whoop', oldDay))?.workout_count ?? 0).toBe(before.old - 1);
    expect(must(await storedDay('whoop', newDay)).workout_count).toBe(before.new + 1);
    expect(await drift()).toEqual(EXACT);
  });

  it('place a child stored before its parent once the parent arrives', async () => {
    // A recovery whose cycle is not stored yet: no times of its own, so its whole user is recomputed.
    const cycle = await storedRecord('whoop', 'cycle', (await newest('cycle')).source_id);
    const newCycleId = '999000111';
    const orphan: MappedRecord = {
      kind: 'recovery',
      sourceId: newCycleId,
      startAt: null,
      endAt: null,
      tzOffset: null,
      localDay: null,
      providerUpdatedAt: new Date(),
      payload: {
        cycle_id: Number(newCycleId),
        sleep_id: 'no-such-sleep',
        user_id: 1,
        created_at: new Date(Date.now() + 2 * DAY_MS).toISOString(),
        updated_at: new Date().toISOString(),
        score_state: 'SCORED',
        score: { user_calibrating: false, recovery_score: 12, resting_heart_rate: 70, hrv_rmssd_milli: 20 },
      },
      timeFrom: { kind: 'cycle', sourceId: newCycleId },
    };
    await upsertRecords(db.sql, 'whoop', USER, [orphan]);
    expect(await drift()).toEqual(EXACT);
    const start = new Date(must(cycle.endAt).getTime() + 3 * DAY_MS);
    await upsertRecords(db.sql, 'whoop', USER, [
      {
        ...cycle,
        sourceId: newCycleId,
        startAt: start,
        endAt: new Date(start.getTime() + DAY_MS),
        localDay: null,
        providerUpdatedAt: new Date(),
        payload: { ...cycle.payload, id: Number(newCycleId), start: start.toISOString() },
      },
    ]);
    const [row] = await db.sql<{ recovery_pct: number }[]>`
      select recovery_pct from daily_summary where user_id = ${USER} and provider = 'whoop'
        and source_id = ${newCycleId}`;
    expect(must(row).recovery_pct).toBe(12);
    expect(await drift()).toEqual(EXACT);
  });

  it('stay exact when two transactions write the same user at once', async () => {
    const other = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      // A cycle and the sleep of the same day: both writes change that day's one row.
      const [pair] = await db.sql<{ cycle: string; sleep: string }[]>`
        select c.source_id as cycle, s.source_id as sleep
        from records c join records s on s.user_id = c.user_id and s.provider = c.provider
          and s.kind = 'sleep' and s.local_day = c.local_day and s.deleted_at is null
        where c.provider = 'whoop' and c.user_id = ${USER} and c.kind = 'cycle' and c.deleted_at is null
        order by c.start_at desc limit 1`;
      const cycle = await storedRecord('whoop', 'cycle', must(pair).cycle);
      const sleep = await storedRecord('whoop', 'sleep', must(pair).sleep);
      const rescore = (
        r: MappedRecord,
        path: 'strain' | 'respiratory_rate',
        value: number,
      ): MappedRecord => ({
        ...r,
        providerUpdatedAt: new Date(),
        payload: { ...r.payload, score: { ...(r.payload.score as object), [path]: value } },
      });
      // The first transaction stays open after its write until the second has started its own.
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let firstWrote: () => void = () => {};
      const wrote = new Promise<void>((resolve) => {
        firstWrote = resolve;
      });
      const first = db.sql.begin(async (tx) => {
        await upsertRecords(tx, 'whoop', USER, [rescore(cycle, 'strain', 19.5)]);
        firstWrote();
        await held;
      });
      await wrote;
      const second = other.begin(async (tx) => {
        await upsertRecords(tx as never, 'whoop', USER, [rescore(sleep, 'respiratory_rate', 21.5)]);
      });
      // The second waits for the first's row in daily_summary_refresh rather than racing it.
      let blocked = 0;
      for (let i = 0; i < 100 && blocked === 0; i++) {
        const [w] = await db.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`;
        blocked = w?.n ?? 0;
        if (blocked === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      release();
      await Promise.all([first, second]);
      expect(blocked).toBe(1);
      const [row] = await db.sql<{ day_strain: number; respiratory_rate_bpm: number }[]>`
        select day_strain, respiratory_rate_bpm from daily_summary
        where user_id = ${USER} and provider = 'whoop' and source_id = ${cycle.sourceId}`;
      expect(must(row)).toEqual({ day_strain: 19.5, respiratory_rate_bpm: 21.5 });
    } finally {
      await other.end();
    }
    expect(await drift()).toEqual(EXACT);
  });

  it('are readable by the Grafana role, which cannot write them nor see the refresh table', async () => {
    const grafana = postgres(db.grafanaUrl, { max: 1, onnotice: () => {} });
    try {
      const rows = await grafana`select count(*)::int as n from daily_summary where user_id = ${USER}`;
      expect(rows[0]?.n).toBeGreaterThan(15);
      await grafana`select count(*) from daily_summary_rollup`;
      await grafana`select count(*) from sleeps_stored`;
      await expect(grafana`delete from sleeps_stored`).rejects.toThrow(/permission denied|read-only/);
      await grafana`select count(*) from provider_requests_hourly`;
      await expect(grafana`select * from daily_summary_refresh`).rejects.toThrow(/permission denied/);
      await expect(grafana`delete from daily_summary_rollup`).rejects.toThrow(/permission denied|read-only/);
      await expect(
        grafana`select wearhouse_refresh_daily_summary(${USER}, 'whoop', null, null)`,
      ).rejects.toThrow(/permission denied|read-only/);
    } finally {
      await grafana.end();
    }
  });

  it('are recomputed from scratch by wearhouse_rebuild_daily_summary()', async () => {
    await db.sql`delete from daily_summary_rollup where user_id = ${USER} and provider = 'whoop'`;
    await db.sql`update daily_health_by_source_rollup set sleep_min = -1 where user_id = ${USER}`;
    await db.sql`update daily_health_rollup set steps = -1 where user_id = ${USER}`;
    expect((await drift())['daily_summary_live only']).toBeGreaterThan(0);
    expect((await drift())['daily_health_rollup only']).toBeGreaterThan(0);
    await db.sql`select wearhouse_rebuild_daily_summary()`;
    expect(await drift()).toEqual(EXACT);
  });

  it('are marked, not recomputed, by a bulk transaction that defers them, until its loader refreshes them', async () => {
    const sleep = await newest(
      'sleep',
      db.sql`and not coalesce((payload ->> 'nap')::boolean, false) and payload -> 'score' -> 'stage_summary' is not null`,
    );
    const record = await storedRecord('whoop', 'sleep', sleep.source_id);
    const before = must(await storedDay('whoop', iso(sleep.day)));
    const longer = withLongerStage(record, 'total_light_sleep_time_milli', 1_800_000);
    await db.sql.begin(async (tx) => {
      await deferDailyRows(tx);
      await upsertRecords(tx, 'whoop', USER, [longer]);
    });
    // Stored, marked, and the day's row as it was.
    expect(must(await storedDay('whoop', iso(sleep.day))).sleep_h).toBeCloseTo(must(before.sleep_h), 6);
    expect((await drift())['daily_summary_live only']).toBeGreaterThan(0);
    // Another user's refresh takes nothing of this one's.
    expect(await refreshDeferredDailyRows(db.sql, 'someone-else', 'whoop')).toBe(0);
    expect(await refreshDeferredDailyRows(db.sql, USER, 'whoop')).toBe(1);
    expect(must(await storedDay('whoop', iso(sleep.day))).sleep_h).toBeCloseTo(must(before.sleep_h) + 0.5, 6);
    expect(await drift()).toEqual(EXACT);
    // Taken once: nothing is left to refresh, and the next writer refreshes in its own transaction.
    expect(await refreshDeferredDailyRows(db.sql, USER, 'whoop')).toBe(0);
    await upsertRecords(db.sql, 'whoop', USER, [
      { ...record, providerUpdatedAt: new Date(Date.now() + 1000) },
    ]);
    expect(must(await storedDay('whoop', iso(sleep.day))).sleep_h).toBeCloseTo(must(before.sleep_h), 6);
  });

  it('are emptied with records by a truncate', async () => {
    await db.sql`truncate records cascade`;
    const [n] = await db.sql<{ n: number }[]>`select count(*)::int as n from daily_summary_rollup`;
    expect(n?.n).toBe(0);
    for (const table of ['sleeps_stored', 'workouts_stored', 'recoveries_stored']) {
      const [m] = await db.sql.unsafe(`select count(*)::int as n from ${table}`);
      expect(m?.n, table).toBe(0);
    }
  });
});
