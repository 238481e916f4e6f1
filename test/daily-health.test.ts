// daily_health and daily_health_by_source on one user with WHOOP (the sandbox over HTTP), an Oura
// ring and an Apple Watch + iPhone (test/support/multi-source.ts): one row per local day, each
// measure from the preferred source, preference changes reflected at once, copies WHOOP and Oura
// write into HealthKit recognized, nothing counted twice, travellers' days by their own offset.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import { type MultiSourceData, must, seedMultiSource } from './support/multi-source.ts';
import { DAY_MS, day, iso } from './support/whoop-stack.ts';

const USER = 'multi-mia';
let db: TestDatabase;
let data: MultiSourceData;

interface HealthRow {
  day: Date;
  sleep_min: number | null;
  sleep_provider: string | null;
  sleep_source: string | null;
  recovery_score: number | null;
  recovery_score_kind: string | null;
  recovery_provider: string | null;
  hrv_ms: number | null;
  hrv_kind: string | null;
  hrv_provider: string | null;
  hrv_source: string | null;
  resting_hr_bpm: number | null;
  resting_hr_provider: string | null;
  steps: number | null;
  steps_provider: string | null;
  steps_source: string | null;
  active_energy_kcal: number | null;
  active_energy_source: string | null;
  workout_count: number | null;
  workout_min: number | null;
  workouts_provider: string | null;
  workouts_source: string | null;
  source_count: number;
}

async function health(): Promise<Map<string, HealthRow>> {
  const rows = await db.sql<HealthRow[]>`select * from daily_health where user_id = ${USER} order by day`;
  return new Map(rows.map((r) => [iso(r.day), r]));
}

async function prefer(measure: string, provider: string, source: string | null = null, rank = 1) {
  await db.sql`insert into source_preferences (user_id, measure, provider, source, rank)
    values (${USER}, ${measure}, ${provider}, ${source}, ${rank})`;
}

async function clearPreferences() {
  await db.sql`delete from source_preferences where user_id = ${USER}`;
}

/** WHOOP's own figures per local day, read from the typed views (the latest of a day, as documented). */
async function whoopByDay() {
  const rec = await db.sql<{ day: Date; recovery_pct: number | null; hrv_ms: number | null }[]>`
    select distinct on (day) day, recovery_pct, hrv_ms from recoveries
    where user_id = ${USER} and provider = 'whoop' and recovery_pct is not null order by day, start_at desc`;
  const sleep = await db.sql<{ day: Date; min: number }[]>`
    select day, sum(asleep_h) * 60 as min from sleeps where user_id = ${USER} and provider = 'whoop' and not is_nap group by day`;
  const workouts = await db.sql<{ day: Date; n: number; min: number }[]>`
    select day, count(*)::int as n, sum(duration_min) as min from workouts where user_id = ${USER} and provider = 'whoop' group by day`;
  return {
    recovery: new Map(rec.map((r) => [iso(r.day), r])),
    sleepMin: new Map(sleep.map((r) => [iso(r.day), r.min])),
    workouts: new Map(workouts.map((r) => [iso(r.day), r])),
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  data = await seedMultiSource(db.sql, USER, day(-12), day(0));
});

afterAll(async () => {
  await data?.close();
  await db?.close();
});

describe('daily_health', () => {
  it('has one row per user and local day, every night of the devices included', async () => {
    const [counts] = await db.sql<{ rows: number; days: number }[]>`
      select count(*)::int as rows, count(distinct day)::int as days from daily_health where user_id = ${USER}`;
    expect(counts?.rows).toBe(counts?.days);
    const days = await health();
    for (const night of data.nights) expect(days.has(night.day), night.day).toBe(true);
  });

  it('takes each measure from the default order: Oura sleep, WHOOP recovery and HRV, Apple steps', async () => {
    const days = await health();
    const whoop = await whoopByDay();
    for (const night of data.nights) {
      const row = must(days.get(night.day));
      const truth = must(data.truth.get(night.day));
      if (truth.ouraSleepMin !== null) {
        expect([row.sleep_provider, row.sleep_source]).toEqual(['oura', null]);
        expect(row.sleep_min).toBeCloseTo(truth.ouraSleepMin, 6);
      }
      const recovery = whoop.recovery.get(night.day);
      if (recovery) {
        // The WHOOP score as WHOOP gave it: never blended with Oura's readiness.
        expect([row.recovery_provider, row.recovery_score_kind]).toEqual(['whoop', 'WHOOP recovery']);
        expect(row.recovery_score).toBe(recovery.recovery_pct);
        expect([row.hrv_provider, row.hrv_kind]).toEqual(['whoop', 'RMSSD']);
        expect(row.hrv_ms).toBe(recovery.hrv_ms);
      } else {
        expect([row.recovery_provider, row.recovery_score_kind]).toEqual(['oura', 'Oura readiness']);
        expect(row.recovery_score).toBe(truth.ouraReadiness);
      }
      expect(row.steps_provider).toBe('apple_health');
      expect(row.steps).toBe(Math.max(truth.iphoneSteps, truth.watchSteps));
      expect(row.steps_source).toBe(truth.iphoneSteps > truth.watchSteps ? 'iPhone' : 'Apple Watch');
      expect(row.active_energy_kcal).toBeCloseTo(truth.watchActiveKcal, 6);
      expect(row.active_energy_source).toBe('Apple Watch');
      const w = whoop.workouts.get(night.day);
      if (w) {
        expect([row.workouts_provider, row.workout_count]).toEqual(['whoop', w.n]);
        expect(row.workout_min).toBeCloseTo(w.min, 6);
      } else {
        expect([row.workouts_provider, row.workouts_source, row.workout_count]).toEqual([
          'apple_health',
          'Apple Watch',
          1,
        ]);
        expect(row.workout_min).toBeCloseTo(truth.watchWorkoutMin, 6);
      }
    }
  });

  it('the same night from four sources is one night here and four rows in daily_health_by_source', async () => {
    const night = must(data.nights[2]);
    const rows = await db.sql<
      { provider: string; source: string | null; sleep_min: number; mirror_of: string | null }[]
    >`
      select provider, source, sleep_min, mirror_of from daily_health_by_source
      where user_id = ${USER} and day = ${night.day} and sleep_min is not null
      order by provider, source nulls first`;
    const truth = must(data.truth.get(night.day));
    const whoop = await whoopByDay();
    expect(rows.map((r) => [r.provider, r.source, r.mirror_of])).toEqual([
      ['apple_health', 'Apple Watch', null],
      ['apple_health', 'Oura', 'oura'],
      ['oura', null, null],
      ['whoop', null, null],
    ]);
    expect(rows[0]?.sleep_min).toBeCloseTo(truth.watchSleepMin, 6);
    expect(rows[1]?.sleep_min).toBeCloseTo(truth.ouraCopySleepMin, 6);
    expect(rows[2]?.sleep_min).toBeCloseTo(must(truth.ouraSleepMin), 6);
    expect(rows[3]?.sleep_min).toBeCloseTo(must(whoop.sleepMin.get(night.day)), 6);
    const [one] = await db.sql<{ n: number; sleep_min: number }[]>`
      select count(*)::int as n, max(sleep_min) as sleep_min from daily_health where user_id = ${USER} and day = ${night.day}`;
    expect(one?.n).toBe(1);
    // One device's night, not the sum of four.
    expect(one?.sleep_min).toBeCloseTo(must(truth.ouraSleepMin), 6);
  });

  it('a copy the Oura app wrote into HealthKit stands in for the ring only on a night the ring is missing', async () => {
    const days = await health();
    const first = must(data.nights[0]);
    const truth = must(data.truth.get(first.day));
    expect(truth.ouraSleepMin).toBeNull();
    const row = must(days.get(first.day));
    expect([row.sleep_provider, row.sleep_source]).toEqual(['apple_health', 'Oura']);
    expect(row.sleep_min).toBeCloseTo(truth.ouraCopySleepMin, 6);
    // Preferring Apple Health for sleep picks the Watch, never the copy, on nights the ring has.
    await prefer('sleep', 'apple_health');
    try {
      for (const [d, r] of await health()) {
        if (!data.truth.has(d)) continue;
        const t = must(data.truth.get(d));
        expect([d, r.sleep_provider, r.sleep_source]).toEqual([d, 'apple_health', 'Apple Watch']);
        expect(r.sleep_min).toBeCloseTo(t.watchSleepMin, 6);
      }
    } finally {
      await clearPreferences();
    }
  });

  it('the HRV WHOOP writes into HealthKit is a copy: preferring Apple Health gives the Watch SDNN, named SDNN', async () => {
    const [copy] = await db.sql<{ mirror_of: string; hrv_sdnn_ms: number }[]>`
      select mirror_of, hrv_sdnn_ms from daily_health_by_source
      where user_id = ${USER} and day = ${must(data.nights[1]).day} and provider = 'apple_health' and source = 'WHOOP'`;
    expect(copy?.mirror_of).toBe('whoop');
    await prefer('hrv', 'apple_health');
    try {
      const days = await health();
      for (const night of data.nights) {
        const row = must(days.get(night.day));
        const truth = must(data.truth.get(night.day));
        expect([row.hrv_provider, row.hrv_source, row.hrv_kind]).toEqual([
          'apple_health',
          'Apple Watch',
          'SDNN',
        ]);
        expect(row.hrv_ms).toBeCloseTo(truth.watchSdnnMs, 6);
        // Never the copy (its values are 20 ms higher), whether or not WHOOP scored that night.
        expect(row.hrv_ms).not.toBeCloseTo(truth.watchSdnnMs + 20, 6);
      }
    } finally {
      await clearPreferences();
    }
  });

  it('changes of preference are reflected at once, per user, per measure and per source', async () => {
    await prefer('sleep', 'whoop');
    await prefer('steps', 'oura');
    await prefer('recovery_score', 'oura');
    try {
      const whoop = await whoopByDay();
      const days = await health();
      for (const night of data.nights) {
        const row = must(days.get(night.day));
        const truth = must(data.truth.get(night.day));
        expect(row.sleep_provider).toBe('whoop');
        expect(row.sleep_min).toBeCloseTo(must(whoop.sleepMin.get(night.day)), 6);
        expect([row.steps_provider, row.steps]).toEqual(['oura', truth.ouraSteps]);
        expect([row.recovery_provider, row.recovery_score_kind, row.recovery_score]).toEqual([
          'oura',
          'Oura readiness',
          truth.ouraReadiness,
        ]);
        // Measures without a preference of this user keep the default order.
        expect(row.active_energy_source).toBe('Apple Watch');
      }
      await clearPreferences();
      await prefer('steps', 'apple_health', 'iPhone');
      for (const night of data.nights) {
        const row = must((await health()).get(night.day));
        expect([row.steps_source, row.steps]).toEqual([
          'iPhone',
          must(data.truth.get(night.day)).iphoneSteps,
        ]);
      }
    } finally {
      await clearPreferences();
    }
    const row = must((await health()).get(must(data.nights[2]).day));
    expect(row.sleep_provider).toBe('oura');
  });

  it('counts nothing twice: steps are one device, not iPhone + Watch; workouts are one source', async () => {
    const [totals] = await db.sql<{ steps: number; workouts: number }[]>`
      select sum(steps)::float8 as steps, sum(workout_count)::int as workouts from daily_health
      where user_id = ${USER} and day = any(${data.nights.map((n) => n.day)}::date[])`;
    const truths = [...data.truth.values()];
    expect(totals?.steps).toBe(truths.reduce((a, t) => a + Math.max(t.iphoneSteps, t.watchSteps), 0));
    const whoop = await whoopByDay();
    expect(totals?.workouts).toBe(data.nights.reduce((a, n) => a + (whoop.workouts.get(n.day)?.n ?? 1), 0));
  });

  it("a traveller's samples count on the local day of their own offset", async () => {
    const { day: last, steps } = data.travelSample;
    const before = iso(new Date(Date.parse(last) - DAY_MS));
    expect(iso(data.travelSample.startAt)).toBe(before);
    const rows = await db.sql<{ day: Date; steps: number }[]>`
      select day, steps from daily_health_by_source
      where user_id = ${USER} and provider = 'apple_health' and source = 'iPhone' and day in (${last}, ${before})`;
    const byDay = new Map(rows.map((r) => [iso(r.day), r.steps]));
    expect(byDay.get(last)).toBe(must(data.truth.get(last)).iphoneSteps);
    expect(must(data.truth.get(last)).iphoneSteps).toBeGreaterThan(steps);
    if (data.truth.has(before)) expect(byDay.get(before)).toBe(must(data.truth.get(before)).iphoneSteps);
  });
});
