// Oura in the typed views: sleep periods and workouts in `sleeps` and `workouts` with WHOOP's units,
// daily_summary picking them up, and the views of Oura's own (readiness, sleep_scores, daily_activity,
// daily_stress, daily_spo2, heart_rate) — all read as the Grafana role, on documents the sandbox serves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapOuraDocuments, type OuraKind } from '../providers/oura/mapping.ts';
import { type OuraSandbox, startOuraSandbox } from '../providers/oura/sandbox/index.ts';
import { connect, type Sql } from '../store/db.ts';
import { upsertRecords } from '../store/records.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

const NOW = new Date('2025-06-15T12:00:00Z');
const FROM = '2025-05-01';
const TO = '2025-05-31';
let db: TestDatabase;
let grafana: Sql;
let sandbox: OuraSandbox;

beforeAll(async () => {
  db = await createTestDatabase();
  grafana = connect(db.grafanaUrl, { max: 1 });
  sandbox = await startOuraSandbox({ now: () => NOW, historyDays: 120 });
  await db.sql`insert into users (id) values ('uma')`;
  for (const kind of [
    'sleep',
    'workout',
    'daily_readiness',
    'daily_sleep',
    'daily_activity',
    'daily_stress',
    'daily_spo2',
  ] as const) {
    const { records, quarantined } = mapOuraDocuments(kind, sandbox.control.documents('uma', kind, FROM, TO));
    expect(quarantined).toEqual([]);
    await upsertRecords(db.sql, 'oura', 'uma', records);
  }
  const hr = sandbox.control.documents('uma', 'heartrate', '2025-05-10T00:00:00Z', '2025-05-11T00:00:00Z');
  await upsertRecords(db.sql, 'oura', 'uma', mapOuraDocuments('heartrate' as OuraKind, hr).records);
});
afterAll(async () => {
  await grafana?.end();
  await db?.close();
  await sandbox?.close();
});

const served = (kind: 'sleep' | 'workout' | 'daily_readiness' | 'daily_activity') =>
  sandbox.control.documents('uma', kind, FROM, TO);

describe('the typed views serve Oura', () => {
  it('sleeps: every sleep but rejected rests, hours from seconds, the night on the day it ends', async () => {
    const expected = served('sleep').filter((s) => s.type !== 'rest');
    const rows = await grafana<
      {
        source_id: string;
        day: string;
        in_bed_h: number;
        asleep_h: number;
        deep_h: number;
        is_nap: boolean;
        efficiency_pct: number;
      }[]
    >`
      select source_id, to_char(day, 'YYYY-MM-DD') as day, in_bed_h, asleep_h, deep_h, is_nap, efficiency_pct
      from sleeps where provider = 'oura' and user_id = 'uma' order by start_at`;
    expect(rows.map((r) => r.source_id)).toEqual(expected.map((s) => s.id));
    for (const [i, row] of rows.entries()) {
      const s = expected[i] as Record<string, number | string>;
      expect(row.day).toBe(s.day);
      expect(row.in_bed_h).toBeCloseTo(Number(s.time_in_bed) / 3600, 9);
      expect(row.asleep_h).toBeCloseTo(Number(s.total_sleep_duration) / 3600, 9);
      expect(row.deep_h).toBeCloseTo(Number(s.deep_sleep_duration) / 3600, 9);
      expect(row.is_nap).toBe(s.type !== 'long_sleep');
      expect(row.efficiency_pct).toBe(s.efficiency);
    }
    expect(rows.some((r) => r.is_nap)).toBe(true);
  });

  it('workouts: sport, duration, energy in kcal and kJ, distance', async () => {
    const expected = served('workout');
    const rows = await grafana<
      { source_id: string; sport: string; duration_min: number; energy_kcal: number; energy_kj: number }[]
    >`
      select source_id, sport, duration_min, energy_kcal, energy_kj from workouts
      where provider = 'oura' and user_id = 'uma' order by start_at`;
    expect(rows.map((r) => r.source_id)).toEqual(expected.map((w) => w.id));
    const first = expected[0] as Record<string, string | number>;
    expect(rows[0]?.sport).toBe(first.activity);
    expect(rows[0]?.energy_kcal).toBe(first.calories);
    expect(rows[0]?.energy_kj).toBeCloseTo(Number(first.calories) * 4.184, 9);
    expect(rows[0]?.duration_min).toBe(
      (Date.parse(String(first.end_datetime)) - Date.parse(String(first.start_datetime))) / 60_000,
    );
  });

  it("daily_summary: a row per day with the night's sleep, naps and workouts", async () => {
    const rows = await grafana<
      { day: string; sleep_h: number | null; nap_count: number; workout_count: number }[]
    >`
      select to_char(day, 'YYYY-MM-DD') as day, sleep_h, nap_count, workout_count from daily_summary
      where provider = 'oura' and user_id = 'uma' order by day`;
    const nights = served('sleep').filter((s) => s.type === 'long_sleep');
    for (const night of nights) {
      const row = rows.find((r) => r.day === night.day);
      expect(row?.sleep_h, String(night.day)).toBeCloseTo(Number(night.total_sleep_duration) / 3600, 9);
    }
    expect(rows.reduce((n, r) => n + r.workout_count, 0)).toBe(served('workout').length);
  });
});

describe("views of Oura's own", () => {
  it("readiness: score, temperature and contributors, with the night's resting heart rate", async () => {
    const expected = served('daily_readiness');
    const rows = await grafana<
      { day: string; readiness_pct: number; hrv_balance_pct: number; resting_hr_bpm: number | null }[]
    >`
      select to_char(day, 'YYYY-MM-DD') as day, readiness_pct, hrv_balance_pct, resting_hr_bpm from readiness
      where user_id = 'uma' order by day`;
    expect(rows.map((r) => r.day)).toEqual(expected.map((d) => d.day));
    const first = expected[0] as { score: number; contributors: { hrv_balance: number }; day: string };
    expect(rows[0]?.readiness_pct).toBe(first.score);
    expect(rows[0]?.hrv_balance_pct).toBe(first.contributors.hrv_balance);
    const night = served('sleep').find((s) => s.day === first.day && s.type === 'long_sleep');
    expect(rows[0]?.resting_hr_bpm).toBe(night?.lowest_heart_rate);
  });

  it('daily_activity, sleep_scores, daily_stress, daily_spo2, heart_rate: one row per document', async () => {
    const activity = served('daily_activity');
    const [a] = await grafana<{ n: number; steps: number; unworn: number }[]>`
      select count(*)::int as n, sum(steps)::int as steps, (count(*) filter (where activity_pct is null))::int as unworn
      from daily_activity where user_id = 'uma'`;
    expect(a?.n).toBe(activity.length);
    expect(a?.steps).toBe(activity.reduce((n, d) => n + Number(d.steps), 0));
    expect(a?.unworn).toBe(activity.filter((d) => d.score === null).length);
    for (const [view, kind] of [
      ['sleep_scores', 'daily_sleep'],
      ['daily_stress', 'daily_stress'],
      ['daily_spo2', 'daily_spo2'],
    ] as const) {
      const [row] = await grafana.unsafe<{ n: number }[]>(
        `select count(*)::int as n from ${view} where user_id = 'uma'`,
      );
      expect(row?.n, view).toBe(sandbox.control.documents('uma', kind, FROM, TO).length);
    }
    const [hr] = await grafana<{ n: number; low: number }[]>`
      select count(*)::int as n, min(bpm)::int as low from heart_rate where user_id = 'uma'`;
    expect(hr?.n).toBeGreaterThan(200);
    expect(hr?.low).toBeGreaterThanOrEqual(38);
  });

  it('a new provider branch joins a typed view without restating the others', async () => {
    const columns = await db.sql<{ column_name: string }[]>`
      select column_name from information_schema.columns where table_name = 'sleeps' order by ordinal_position`;
    const branches = await db.sql<{ relname: string }[]>`
      select relname from pg_class where relkind = 'v' and relname like 'sleeps\\_\\_%' order by relname`;
    expect(branches.map((b) => b.relname)).toEqual([
      'sleeps__apple_health',
      'sleeps__junction',
      'sleeps__oura',
      'sleeps__whoop',
    ]);
    expect(columns.map((c) => c.column_name)).toContain('efficiency_pct');
  });
});
