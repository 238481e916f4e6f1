// Junction rows in the typed views, read as the Grafana role: sleeps and workouts gain a Junction
// branch and a `source` column (WHOOP rows keep theirs, with a null source), daily_summary picks the
// Junction rows up, and the Junction-only views (daily_activity, body_measurements) hold theirs.
// Branches compose: adding another provider's branch later keeps Junction's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapJunctionDocuments } from '../providers/junction/mapping.ts';
import { type JunctionSandbox, startJunctionSandbox } from '../providers/junction/sandbox/index.ts';
import { connect, type Sql } from '../store/db.ts';
import { upsertRecords } from '../store/records.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

const NOW = new Date('2025-03-20T12:00:00Z');
const DAY = '2025-03-10';
let db: TestDatabase;
let grafana: Sql;
let sandbox: JunctionSandbox;

beforeAll(async () => {
  db = await createTestDatabase();
  grafana = connect(db.grafanaUrl, { max: 1 });
  sandbox = await startJunctionSandbox({ now: NOW, historyDays: 60 });
  for (const kind of ['sleep', 'activity', 'workouts', 'body'] as const) {
    for (const day of ['2025-03-08', '2025-03-09', DAY]) {
      const page = mapJunctionDocuments(kind, sandbox.documents('carol', kind, day));
      await upsertRecords(db.sql, 'junction', 'carol', page.records);
    }
  }
  await db.sql`
    insert into records (provider, user_id, kind, source_id, start_at, end_at, tz_offset, local_day, payload)
    values ('whoop', 'wendy', 'sleep', 'w-1', '2025-03-09T23:00:00Z', '2025-03-10T07:00:00Z', '+00:00', '2025-03-10',
            ${db.sql.json({ nap: false, score_state: 'SCORED', score: { stage_summary: { total_in_bed_time_milli: 28_800_000 } } })})`;
});
afterAll(async () => {
  await grafana?.end();
  await sandbox?.close();
  await db?.close();
});

describe('typed views', () => {
  it('sleeps: a Junction branch with its source, and the WHOOP rows as before', async () => {
    const [doc] = sandbox.documents('carol', 'sleep', DAY);
    const rows = await grafana<
      { provider: string; source: string | null; asleep_h: number; in_bed_h: number; day: Date }[]
    >`
      select provider, source, asleep_h, in_bed_h, day from sleeps
      where (user_id = 'carol' and source_id = ${doc?.id ?? ''}) or user_id = 'wendy' order by provider`;
    expect(rows.map((r) => [r.provider, r.source])).toEqual([
      ['junction', 'apple_health_kit'],
      ['whoop', null],
    ]);
    expect(rows[0]?.asleep_h).toBeCloseTo((doc?.total as number) / 3600, 6);
    expect(rows[0]?.in_bed_h).toBeCloseTo((doc?.duration as number) / 3600, 6);
    expect(rows[1]?.in_bed_h).toBe(8);
    const [count] = await grafana<
      { n: number }[]
    >`select count(*)::int as n from sleeps where user_id = 'carol'`;
    expect(count?.n).toBe(3);
  });

  it('workouts, daily_activity, body_measurements and daily_summary hold the Junction rows', async () => {
    const workouts = ['2025-03-08', '2025-03-09', DAY].flatMap((d) =>
      sandbox.documents('carol', 'workouts', d),
    );
    const stored = await grafana<{ source_id: string; energy_kcal: number; source: string }[]>`
      select source_id, energy_kcal, source from workouts where user_id = 'carol' order by source_id`;
    expect(stored.map((w) => w.source_id)).toEqual(workouts.map((w) => w.id).sort());
    for (const row of stored) {
      expect(row.energy_kcal).toBe(workouts.find((w) => w.id === row.source_id)?.calories);
      expect(row.source).toBe('apple_health_kit');
    }
    const [activity] = sandbox.documents('carol', 'activity', DAY);
    const [steps] = await grafana<{ steps: number; day: string }[]>`
      select steps, day::text as day from daily_activity where user_id = 'carol' and day = ${DAY}`;
    expect(steps).toEqual({ steps: activity?.steps, day: DAY });
    const bodies = ['2025-03-08', '2025-03-09', DAY].flatMap((d) => sandbox.documents('carol', 'body', d));
    const [body] = await grafana<
      { n: number }[]
    >`select count(*)::int as n from body_measurements where user_id = 'carol'`;
    expect(body?.n).toBe(bodies.length);
    const summary = await grafana<{ day: string; sleep_h: number }[]>`
      select day::text as day, sleep_h from daily_summary where user_id = 'carol' and provider = 'junction' order by day`;
    expect(summary.map((s) => s.day)).toEqual(['2025-03-08', '2025-03-09', DAY]);
    const [sleep] = sandbox.documents('carol', 'sleep', DAY);
    expect(summary[2]?.sleep_h).toBeCloseTo((sleep?.total as number) / 3600, 6);
  });

  it('adding a branch is idempotent, and a later provider branch keeps the Junction one', async () => {
    await db.sql`select wearhouse_union_view('sleeps')`;
    await db.sql.unsafe(`
      create view sleeps__other as
        select 'other'::text as provider, 'carol'::text as user_id, 'o-1'::text as source_id,
               'ring'::text as source, 9.5::float8 as asleep_h, 'extra'::text as only_here`);
    await db.sql`select wearhouse_union_view('sleeps')`;
    const rows = await db.sql<{ provider: string; n: number; asleep: number }[]>`
      select provider, count(*)::int as n, max(asleep_h) as asleep from sleeps group by 1 order by 1`;
    expect(rows.map((r) => [r.provider, r.n])).toEqual([
      ['junction', 3],
      ['other', 1],
      ['whoop', 1],
    ]);
    expect(rows[1]?.asleep).toBe(9.5);
    const [extra] = await db.sql<
      { only_here: string }[]
    >`select only_here from sleeps where provider = 'other'`;
    expect(extra?.only_here).toBe('extra');
  });
});
