// One user wearing a WHOOP, an Oura ring and an Apple Watch (with an iPhone), stored as the
// providers store it, for test/daily-health.test.ts:
//   * WHOOP: fetched from the WHOOP sandbox over real HTTP by the real client, mapped by its mapping,
//     stored by upsertRecords.
//   * Oura: /v2/usercollection documents built around each WHOOP night (the devices measure the
//     same nights), mapped by the Oura mapping, stored by upsertRecords.
//   * Apple Health: export Records in the shape the Apple Health mapping stores them
//     (test/support/apple-records.ts).
// Every figure the tests expect is kept here, computed from the documents, not from the views.
import { contentKey } from '../../providers/content-key.ts';
import { mapOuraDocuments } from '../../providers/oura/mapping.ts';
import { createLocalBudget } from '../../providers/rate-budget.ts';
import type { MappedRecord, RequestStats } from '../../providers/types.ts';
import { createWhoopClient } from '../../providers/whoop/client.ts';
import { startWhoopSandbox, type WhoopSandbox } from '../../providers/whoop/sandbox/index.ts';
import type { Sql } from '../../store/db.ts';
import { upsertRecords } from '../../store/records.ts';
import { appleDate, appleNight, appleRecord, localDayOf, type Night } from './apple-records.ts';

export type { Night } from './apple-records.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** The daily_activity fields this test does not look at (required by Oura's schema). */
const OURA_ACTIVITY_REST = {
  average_met_minutes: 1.5,
  contributors: {},
  equivalent_walking_distance: 6000,
  high_activity_met_minutes: 30,
  high_activity_time: 1200,
  inactivity_alerts: 0,
  low_activity_met_minutes: 100,
  low_activity_time: 9000,
  medium_activity_met_minutes: 80,
  medium_activity_time: 2400,
  meters_to_target: 0,
  non_wear_time: 0,
  resting_time: 30000,
  sedentary_met_minutes: 20,
  sedentary_time: 30000,
  target_calories: 450,
  target_meters: 8000,
};

/** What each device reported for one local day (null: it reported nothing). */
export interface DayTruth {
  day: string;
  ouraSleepMin: number | null;
  ouraCopySleepMin: number;
  watchSleepMin: number;
  ouraReadiness: number;
  ouraHrvMs: number | null;
  ouraRestingHr: number | null;
  ouraSteps: number;
  iphoneSteps: number;
  watchSteps: number;
  watchSdnnMs: number;
  watchRestingHr: number;
  watchActiveKcal: number;
  watchWorkoutMin: number;
}

export interface MultiSourceData {
  userId: string;
  nights: Night[];
  truth: Map<string, DayTruth>;
  /** A step sample a traveller's iPhone took at 00:30 local (+09:00) of `day`: the UTC date before. */
  travelSample: { day: string; steps: number; startAt: Date };
  sandbox: WhoopSandbox;
  close(): Promise<void>;
}

const iso = (d: Date) => d.toISOString().slice(0, 10);

/** The value, or a failure naming what was missing. */
export function must<T>(value: T | undefined | null): T {
  if (value === undefined || value === null) throw new Error('expected a value');
  return value;
}

/** An ISO instant with the wearer's offset, as Oura writes bedtime_start. */
function ouraTime(instant: Date, offset: string): string {
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number);
  const local = new Date(instant.getTime() + sign * ((h ?? 0) * 60 + (m ?? 0)) * MINUTE);
  return `${local.toISOString().slice(0, 19)}${offset}`;
}

export async function seedMultiSource(
  sql: Sql,
  userId: string,
  start: Date,
  end: Date,
): Promise<MultiSourceData> {
  await sql`insert into users (id) values (${userId}) on conflict do nothing`;
  const sandbox = await startWhoopSandbox({ requestsPerMinute: 10_000, clientId: 'c', clientSecret: 's' });
  const client = createWhoopClient({
    apiUrl: sandbox.url,
    tokenUrl: sandbox.tokenUrl,
    clientId: 'c',
    clientSecret: 's',
    budget: createLocalBudget(10_000),
    timeoutMs: 10_000,
  });
  const stats: RequestStats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
  const { accessToken } = sandbox.control.issueTokens(userId);
  for (const kind of ['cycle', 'sleep', 'recovery', 'workout'] as const) {
    let cursor: string | undefined;
    do {
      const page = await client.fetchCollectionPage(accessToken, kind, { start, end, cursor }, stats);
      if (page.quarantined.length)
        throw new Error(`sandbox served bad ${kind}: ${page.quarantined[0]?.reason}`);
      await upsertRecords(sql, 'whoop', userId, page.records);
      cursor = page.nextCursor;
    } while (cursor);
  }

  // WHOOP's main sleeps: the nights the other devices also measure (one per local day).
  const nights = (
    await sql<{ day: Date; start_at: Date; end_at: Date; tz_offset: string }[]>`
      select distinct on (day) day, start_at, end_at, tz_offset from sleeps
      where user_id = ${userId} and provider = 'whoop' and not is_nap and asleep_h is not null
      order by day, asleep_h desc`
  ).map((n) => ({ day: iso(n.day), startAt: n.start_at, endAt: n.end_at, tzOffset: n.tz_offset }));
  if (nights.length < 5) throw new Error(`the sandbox served only ${nights.length} scored nights`);

  const oura: MappedRecord[] = [];
  const apple: MappedRecord[] = [];
  const truth = new Map<string, DayTruth>();
  nights.forEach((night, i) => {
    const { day, tzOffset } = night;
    const midnight = new Date(`${day}T00:00:00${tzOffset === 'Z' ? 'Z' : tzOffset}`);
    // Oura: the same night a little longer in bed; no ring on the first night.
    const bedStart = new Date(night.startAt.getTime() - 12 * MINUTE);
    const bedEnd = new Date(night.endAt.getTime() + 4 * MINUTE);
    const inBedS = Math.round((bedEnd.getTime() - bedStart.getTime()) / 1000);
    const asleepS = Math.round(inBedS * 0.88);
    const wearsRing = i !== 0;
    const ouraHrv = 40 + i;
    const ouraRhr = 50 + (i % 4);
    if (wearsRing) {
      oura.push({
        kind: 'sleep',
        sourceId: `oura-sleep-${day}`,
        startAt: bedStart,
        endAt: bedEnd,
        tzOffset,
        localDay: day,
        providerUpdatedAt: bedEnd,
        source: null,
        payload: {
          id: `oura-sleep-${day}`,
          day,
          type: 'long_sleep',
          period: 0,
          low_battery_alert: false,
          bedtime_start: ouraTime(bedStart, tzOffset),
          bedtime_end: ouraTime(bedEnd, tzOffset),
          time_in_bed: inBedS,
          total_sleep_duration: asleepS,
          awake_time: inBedS - asleepS,
          light_sleep_duration: Math.round(asleepS * 0.5),
          deep_sleep_duration: Math.round(asleepS * 0.25),
          rem_sleep_duration: asleepS - Math.round(asleepS * 0.5) - Math.round(asleepS * 0.25),
          efficiency: 88,
          average_hrv: ouraHrv,
          lowest_heart_rate: ouraRhr,
          average_heart_rate: ouraRhr + 6,
        },
      });
    }
    const readiness = 60 + ((i * 7) % 35);
    const ouraSteps = 7000 + i * 100;
    for (const [kind, payload] of [
      [
        'daily_readiness',
        {
          id: `oura-readiness-${day}`,
          day,
          score: readiness,
          contributors: {},
          timestamp: ouraTime(midnight, tzOffset),
        },
      ],
      [
        'daily_activity',
        {
          ...OURA_ACTIVITY_REST,
          id: `oura-activity-${day}`,
          day,
          steps: ouraSteps,
          active_calories: 400 + i,
          total_calories: 2400 + i,
          met: { interval: 60, items: [], timestamp: ouraTime(midnight, tzOffset) },
          timestamp: ouraTime(midnight, tzOffset),
        },
      ],
    ] as const) {
      oura.push({
        kind,
        sourceId: payload.id,
        startAt: midnight,
        endAt: new Date(midnight.getTime() + 24 * HOUR),
        tzOffset,
        localDay: day,
        providerUpdatedAt: midnight,
        source: null,
        payload,
      });
    }

    // Apple Health: the Watch's own night, the copy the Oura app writes into HealthKit every night
    // (on night 0 too: the ring synced that night to the app, not to wearhouse), steps from the
    // iPhone and the Watch (the same walks), the Watch's SDNN, resting HR, active energy and a
    // workout, and the HRV WHOOP writes into HealthKit.
    const watch = appleNight('Apple Watch', night, 3);
    const copy = appleNight('Oura', night, -12);
    apple.push(...watch.records, ...copy.records);
    const noon = new Date(midnight.getTime() + 12 * HOUR);
    const iphoneSteps = [1200 + i, 2300, 900];
    const watchSteps = [1100 + i, 2500, 1000];
    iphoneSteps.forEach((n, k) => {
      const s = new Date(noon.getTime() + k * 2 * HOUR);
      apple.push(
        appleRecord(
          'HKQuantityTypeIdentifierStepCount',
          'iPhone',
          s,
          new Date(s.getTime() + 30 * MINUTE),
          tzOffset,
          n,
          'count',
        ),
      );
    });
    watchSteps.forEach((n, k) => {
      const s = new Date(noon.getTime() + k * 2 * HOUR + MINUTE);
      apple.push(
        appleRecord(
          'HKQuantityTypeIdentifierStepCount',
          'Apple Watch',
          s,
          new Date(s.getTime() + 30 * MINUTE),
          tzOffset,
          n,
          'count',
        ),
      );
    });
    const sdnn = [30 + i, 36 + i];
    sdnn.forEach((v, k) => {
      // Before waking, after local midnight: samples count on the local day they were taken.
      const s = new Date(night.endAt.getTime() - (k + 1) * HOUR);
      apple.push(
        appleRecord(
          'HKQuantityTypeIdentifierHeartRateVariabilitySDNN',
          'Apple Watch',
          s,
          s,
          tzOffset,
          v,
          'ms',
        ),
      );
      apple.push(
        appleRecord(
          'HKQuantityTypeIdentifierHeartRateVariabilitySDNN',
          'WHOOP',
          s,
          s,
          tzOffset,
          v + 20,
          'ms',
        ),
      );
    });
    const watchRhr = 55 + (i % 3);
    apple.push(
      appleRecord(
        'HKQuantityTypeIdentifierRestingHeartRate',
        'Apple Watch',
        noon,
        noon,
        tzOffset,
        watchRhr,
        'count/min',
      ),
    );
    const kcal = [120 + i, 230.5];
    kcal.forEach((v, k) => {
      const s = new Date(noon.getTime() + k * HOUR);
      apple.push(
        appleRecord(
          'HKQuantityTypeIdentifierActiveEnergyBurned',
          'Apple Watch',
          s,
          new Date(s.getTime() + 20 * MINUTE),
          tzOffset,
          v,
          'kcal',
        ),
      );
    });
    const workoutStart = new Date(noon.getTime() + 5 * HOUR);
    const workoutMin = 30 + i;
    apple.push({
      kind: 'workout',
      sourceId: contentKey([
        'workout',
        'HKWorkoutActivityTypeRunning',
        'Apple Watch',
        workoutStart.getTime(),
      ]),
      startAt: workoutStart,
      endAt: new Date(workoutStart.getTime() + workoutMin * MINUTE),
      tzOffset,
      localDay: localDayOf(workoutStart, tzOffset),
      providerUpdatedAt: workoutStart,
      source: 'Apple Watch',
      payload: {
        workoutActivityType: 'HKWorkoutActivityTypeRunning',
        sourceName: 'Apple Watch',
        duration: workoutMin,
        durationUnit: 'min',
        startDate: appleDate(workoutStart, tzOffset),
        endDate: appleDate(new Date(workoutStart.getTime() + workoutMin * MINUTE), tzOffset),
      },
    });
    truth.set(day, {
      day,
      ouraSleepMin: wearsRing ? asleepS / 60 : null,
      ouraCopySleepMin: copy.asleepMin,
      watchSleepMin: watch.asleepMin,
      ouraReadiness: readiness,
      ouraHrvMs: wearsRing ? ouraHrv : null,
      ouraRestingHr: wearsRing ? ouraRhr : null,
      ouraSteps,
      iphoneSteps: iphoneSteps.reduce((a, b) => a + b, 0),
      watchSteps: watchSteps.reduce((a, b) => a + b, 0),
      watchSdnnMs: (must(sdnn[0]) + must(sdnn[1])) / 2,
      watchRestingHr: watchRhr,
      watchActiveKcal: must(kcal[0]) + must(kcal[1]),
      watchWorkoutMin: workoutMin,
    });
  });

  // A traveller in Tokyo: the iPhone counts steps at 00:30 local on the last day, 15:30 UTC the day before.
  const last = must(nights[nights.length - 1]);
  const travelStart = new Date(`${last.day}T00:30:00+09:00`);
  const travelSample = { day: last.day, steps: 321, startAt: travelStart };
  apple.push(
    appleRecord(
      'HKQuantityTypeIdentifierStepCount',
      'iPhone',
      travelStart,
      new Date(travelStart.getTime() + 10 * MINUTE),
      '+09:00',
      321,
      'count',
    ),
  );
  const lastTruth = must(truth.get(last.day));
  lastTruth.iphoneSteps += travelSample.steps;

  // Oura's documents go through the Oura mapping, as a backfill stores them.
  for (const kind of ['sleep', 'daily_readiness', 'daily_activity'] as const) {
    const mapped = mapOuraDocuments(
      kind,
      oura.filter((r) => r.kind === kind).map((r) => r.payload),
    );
    if (mapped.quarantined.length) throw new Error(`Oura ${kind}: ${mapped.quarantined[0]?.reason}`);
    await upsertRecords(sql, 'oura', userId, mapped.records);
  }
  await upsertRecords(sql, 'apple_health', userId, apple);
  return {
    userId,
    nights,
    truth,
    travelSample,
    sandbox,
    close: () => sandbox.close(),
  };
}
