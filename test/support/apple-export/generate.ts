// A generator of realistic Apple Health exports, streamed a day at a time so that a 1 GB file costs
// no more memory than a small one. It writes the quirks real exports have (docs/apple-health.md):
// the iOS 16+ DTD bug, characters XML 1.0 forbids, correlations whose children also appear at top
// level, the same measure from several sources, exact duplicates, offsets that change with travel,
// HRV beat lists, workouts with events, statistics and routes, activity summaries, Me, unknown types.
// While it writes, it counts what an importer must end up with (`ExportStats`).

import { seededRandom } from '../../../providers/sandbox-kit/prng.ts';
import { appleDate, beatTime, EPILOGUE, element, gpx, localDay, prologue } from './elements.ts';

export interface ExportOptions {
  seed?: number;
  /** First local day, YYYY-MM-DD. */
  firstDay?: string;
  /** Number of days; ignored when targetBytes is given (days continue until the size is reached). */
  days?: number;
  targetBytes?: number;
  heartRatePerDay?: number;
  /** Records with an unparseable date or value, spread over the file (quarantined by an importer). */
  badRecords?: number;
  /** Every n-th day travels to +01:00 (the local day follows the offset); 0 = never. */
  travelEvery?: number;
}

/** What a correct importer stores: distinct records per kind, and what it quarantines. */
export interface ExportStats {
  bytes: number;
  days: number;
  /** Distinct records by kind (exact duplicates and correlation children counted once). */
  kinds: Record<string, number>;
  /** Quantity records (numeric value), distinct: rows of the samples view. */
  quantityRecords: number;
  exactDuplicates: number;
  quarantined: number;
  /** Route files the workouts reference: path inside the zip -> GPX text. */
  routes: Map<string, string>;
  /** Per local day: steps counted by the source that counted the most (what apple_health_daily shows). */
  stepsByDay: Map<string, number>;
}

const WATCH = 'Alice’s Apple Watch';
const PHONE = 'Alice’s iPhone';
const SCALE = 'Withings Body+';
const WATCH_DEVICE =
  '<<HKDevice: 0x283a4c190>, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, software:9.1>';
const PHONE_DEVICE =
  '<<HKDevice: 0x283a4c4b0>, name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone14,5, software:16.1>';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const SLEEP_STAGES = [
  'HKCategoryValueSleepAnalysisAsleepCore',
  'HKCategoryValueSleepAnalysisAsleepDeep',
  'HKCategoryValueSleepAnalysisAsleepCore',
  'HKCategoryValueSleepAnalysisAsleepREM',
  'HKCategoryValueSleepAnalysisAwake',
  'HKCategoryValueSleepAnalysisAsleepCore',
  'HKCategoryValueSleepAnalysisAsleepREM',
];

export function emptyStats(): ExportStats {
  return {
    bytes: 0,
    days: 0,
    kinds: {},
    quantityRecords: 0,
    exactDuplicates: 0,
    quarantined: 0,
    routes: new Map(),
    stepsByDay: new Map(),
  };
}

/** Yields export.xml in chunks of about one day; `stats` is complete once the generator is done. */
export function* exportXmlChunks(
  options: ExportOptions,
  stats: ExportStats = emptyStats(),
): Generator<string> {
  const random = seededRandom(options.seed ?? 1);
  const firstDay = options.firstDay ?? '2023-01-01';
  const hrPerDay = options.heartRatePerDay ?? 120;
  const travelEvery = options.travelEvery ?? 9;
  const maxDays = options.targetBytes ? Number.POSITIVE_INFINITY : (options.days ?? 14);
  const count = (kind: string, n = 1) => {
    stats.kinds[kind] = (stats.kinds[kind] ?? 0) + n;
  };
  const emit = (text: string) => {
    stats.bytes += Buffer.byteLength(text);
    return text;
  };
  const homeOffset = -300;
  const startMs = Date.parse(`${firstDay}T00:00:00Z`) - homeOffset * MINUTE;
  const lastMs = startMs + (Number.isFinite(maxDays) ? maxDays : 1) * 24 * HOUR;
  yield emit(prologue('en_US', appleDate(lastMs, homeOffset)));
  yield emit(
    element('Me', {
      HKCharacteristicTypeIdentifierDateOfBirth: '1990-04-02',
      HKCharacteristicTypeIdentifierBiologicalSex: 'HKBiologicalSexFemale',
      HKCharacteristicTypeIdentifierBloodType: 'HKBloodTypeNotSet',
      HKCharacteristicTypeIdentifierFitzpatrickSkinType: 'HKFitzpatrickSkinTypeNotSet',
      HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse: 'None',
    }),
  );
  count('me');

  let badLeft = options.badRecords ?? 0;
  for (let d = 0; d < maxDays; d++) {
    if (options.targetBytes && stats.bytes >= options.targetBytes) break;
    const offset = travelEvery > 0 && d % travelEvery === travelEvery - 1 ? 60 : homeOffset;
    // Local midnight of this day in the day's own offset.
    const dayStart = startMs + d * 24 * HOUR + (homeOffset - offset) * MINUTE;
    const day = localDay(dayStart, offset);
    const date = (ms: number) => appleDate(ms, offset);
    const parts: string[] = [];
    const record = (
      attrs: Record<string, string | number | undefined>,
      children: string[] = [],
      quantity = true,
    ) => {
      parts.push(element('Record', attrs, children));
      count('record');
      if (quantity) stats.quantityRecords++;
    };

    // Heart rate from the watch, with the motion-context metadata.
    for (let i = 0; i < hrPerDay; i++) {
      const t = dayStart + Math.floor(((i + random() * 0.9) * 24 * HOUR) / hrPerDay);
      const created = date(t + 5 * MINUTE);
      record(
        {
          type: 'HKQuantityTypeIdentifierHeartRate',
          sourceName: WATCH,
          sourceVersion: '9.1',
          device: WATCH_DEVICE,
          unit: 'count/min',
          creationDate: created,
          startDate: date(t),
          endDate: date(t),
          value: 55 + Math.floor(random() * 60),
        },
        [element('MetadataEntry', { key: 'HKMetadataKeyHeartRateMotionContext', value: i % 3 }, [], '  ')],
      );
    }
    // Steps per hour from the phone and the watch: the same walk counted by two sources.
    const stepsBySource = new Map<string, number>();
    for (let h = 7; h < 22; h++) {
      for (const [source, device] of [
        [PHONE, PHONE_DEVICE],
        [WATCH, WATCH_DEVICE],
      ] as const) {
        const n = 100 + Math.floor(random() * 900);
        stepsBySource.set(source, (stepsBySource.get(source) ?? 0) + n);
        record({
          type: 'HKQuantityTypeIdentifierStepCount',
          sourceName: source,
          sourceVersion: '16.1',
          device,
          unit: 'count',
          creationDate: date(dayStart + (h + 1) * HOUR),
          startDate: date(dayStart + h * HOUR),
          endDate: date(dayStart + h * HOUR + 50 * MINUTE),
          value: n,
        });
      }
      record({
        type: 'HKQuantityTypeIdentifierActiveEnergyBurned',
        sourceName: WATCH,
        sourceVersion: '9.1',
        device: WATCH_DEVICE,
        unit: 'Cal',
        creationDate: date(dayStart + (h + 1) * HOUR),
        startDate: date(dayStart + h * HOUR),
        endDate: date(dayStart + (h + 1) * HOUR),
        value: (10 + random() * 40).toFixed(3),
      });
    }
    stats.stepsByDay.set(day, Math.max(...stepsBySource.values()));
    // An exact duplicate (a phone that synced the same sample twice): stored once.
    if (d % 2 === 0) {
      const dup = parts[parts.length - 2] as string;
      parts.push(dup);
      stats.exactDuplicates++;
    }
    record({
      type: 'HKQuantityTypeIdentifierRestingHeartRate',
      sourceName: WATCH,
      sourceVersion: '9.1',
      unit: 'count/min',
      creationDate: date(dayStart + 23 * HOUR),
      startDate: date(dayStart + 30 * MINUTE),
      endDate: date(dayStart + 23 * HOUR),
      value: 50 + Math.floor(random() * 12),
    });
    // HRV with its beat-to-beat list.
    for (const at of [3 * HOUR, 15 * HOUR]) {
      const t = dayStart + at;
      const beats: string[] = [];
      for (let b = 0; b < 60; b++) {
        beats.push(
          element(
            'InstantaneousBeatsPerMinute',
            { bpm: 55 + Math.floor(random() * 20), time: beatTime(t + b * 950, offset) },
            [],
            '   ',
          ),
        );
      }
      record(
        {
          type: 'HKQuantityTypeIdentifierHeartRateVariabilitySDNN',
          sourceName: WATCH,
          sourceVersion: '9.1',
          device: WATCH_DEVICE,
          unit: 'ms',
          creationDate: date(t + 2 * MINUTE),
          startDate: date(t),
          endDate: date(t + MINUTE),
          value: (20 + random() * 60).toFixed(4),
        },
        [element('HeartRateVariabilityMetadataList', {}, beats, '  ')],
      );
    }
    // Last night's sleep stages (ending this morning), category records.
    let t = dayStart - 90 * MINUTE;
    record(
      {
        type: 'HKCategoryTypeIdentifierSleepAnalysis',
        sourceName: PHONE,
        sourceVersion: '16.1',
        creationDate: date(dayStart + 7 * HOUR),
        startDate: date(t),
        endDate: date(dayStart + 6 * HOUR + 45 * MINUTE),
        value: 'HKCategoryValueSleepAnalysisInBed',
      },
      [],
      false,
    );
    for (const stage of SLEEP_STAGES) {
      const len = (30 + Math.floor(random() * 50)) * MINUTE;
      record(
        {
          type: 'HKCategoryTypeIdentifierSleepAnalysis',
          sourceName: WATCH,
          sourceVersion: '9.1',
          device: WATCH_DEVICE,
          creationDate: date(dayStart + 7 * HOUR),
          startDate: date(t),
          endDate: date(t + len),
          value: stage,
        },
        [
          element(
            'MetadataEntry',
            { key: 'HKTimeZone', value: offset === 60 ? 'Europe/Paris' : 'America/Chicago' },
            [],
            '  ',
          ),
        ],
        false,
      );
      t += len;
    }
    // Blood pressure every third day: a correlation whose children also appear at top level.
    if (d % 3 === 0) {
      const at = dayStart + 8 * HOUR;
      const common = {
        sourceName: SCALE,
        sourceVersion: '6.2',
        creationDate: date(at + MINUTE),
        startDate: date(at),
        endDate: date(at),
      };
      const systolic = {
        type: 'HKQuantityTypeIdentifierBloodPressureSystolic',
        ...common,
        unit: 'mmHg',
        value: 110 + Math.floor(random() * 20),
      };
      const diastolic = {
        type: 'HKQuantityTypeIdentifierBloodPressureDiastolic',
        ...common,
        unit: 'mmHg',
        value: 70 + Math.floor(random() * 15),
      };
      parts.push(
        element('Correlation', { type: 'HKCorrelationTypeIdentifierBloodPressure', ...common }, [
          element('MetadataEntry', { key: 'HKWasUserEntered', value: 0 }, [], '  '),
          element('Record', diastolic, [], '  '),
          element('Record', systolic, [], '  '),
        ]),
      );
      count('correlation');
      record(diastolic);
      record(systolic);
    }
    // A type this importer has never heard of, with a control character XML 1.0 forbids.
    if (d % 5 === 1) {
      record({
        type: 'HKQuantityTypeIdentifierFutureMeasure',
        sourceName: 'Some\u000bApp',
        sourceVersion: '1.0',
        unit: 'zz',
        creationDate: date(dayStart + 12 * HOUR),
        startDate: date(dayStart + 12 * HOUR),
        endDate: date(dayStart + 12 * HOUR),
        value: 1.5,
      });
    }
    // A workout every other day, with events, statistics and a route file.
    if (d % 2 === 1) parts.push(workout(dayStart + 17 * HOUR + 15 * MINUTE, offset, random, stats));
    parts.push(
      element('ActivitySummary', {
        dateComponents: day,
        activeEnergyBurned: (300 + random() * 400).toFixed(3),
        activeEnergyBurnedGoal: 600,
        activeEnergyBurnedUnit: 'Cal',
        appleMoveTime: 0,
        appleMoveTimeGoal: 0,
        appleExerciseTime: Math.floor(random() * 60),
        appleExerciseTimeGoal: 30,
        appleStandHours: 8 + Math.floor(random() * 6),
        appleStandHoursGoal: 12,
      }),
    );
    count('activity_summary');
    if (badLeft > 0 && d % 3 === 2) {
      badLeft--;
      parts.push(
        element('Record', {
          type: 'HKQuantityTypeIdentifierBodyMass',
          sourceName: SCALE,
          unit: 'kg',
          startDate: `${day} 25:61:00 -0500`,
          endDate: `${day} 25:61:00 -0500`,
          value: 70.1,
        }),
        element('Record', {
          type: 'HKQuantityTypeIdentifierBodyMass',
          sourceName: SCALE,
          unit: 'kg',
          startDate: date(dayStart + 7 * HOUR),
          endDate: date(dayStart + 7 * HOUR),
          value: 'seventy',
        }),
      );
      stats.quarantined += 2;
    }
    stats.days++;
    yield emit(parts.join(''));
  }
  yield emit(EPILOGUE);
}

function workout(start: number, offset: number, random: () => number, stats: ExportStats): string {
  const minutes = 25 + Math.floor(random() * 40);
  const end = start + minutes * MINUTE;
  const date = (ms: number) => appleDate(ms, offset);
  const km = (minutes / 6) * (0.9 + random() * 0.2);
  const routePath = `/workout-routes/route_${date(start).slice(0, 10)}_${Math.floor(start / 1000)}.gpx`;
  const points = [];
  for (let i = 0; i <= minutes; i++) {
    points.push({
      lat: 41.88 + i * 0.0009,
      lon: -87.62 + Math.sin(i / 5) * 0.001,
      ele: 180 + random() * 3,
      epochMs: start + i * MINUTE,
    });
  }
  stats.routes.set(routePath, gpx(points));
  stats.kinds.workout = (stats.kinds.workout ?? 0) + 1;
  stats.kinds.workout_route = (stats.kinds.workout_route ?? 0) + 1;
  return element(
    'Workout',
    {
      workoutActivityType: 'HKWorkoutActivityTypeRunning',
      duration: minutes.toFixed(10),
      durationUnit: 'min',
      sourceName: WATCH,
      sourceVersion: '9.1',
      device: WATCH_DEVICE,
      creationDate: date(end + MINUTE),
      startDate: date(start),
      endDate: date(end),
    },
    [
      element('MetadataEntry', { key: 'HKIndoorWorkout', value: 0 }, [], '  '),
      element('MetadataEntry', { key: 'HKWeatherHumidity', value: '6\u000b4 %' }, [], '  '),
      element(
        'WorkoutEvent',
        { type: 'HKWorkoutEventTypeSegment', date: date(start), duration: minutes / 2, durationUnit: 'min' },
        [],
        '  ',
      ),
      element('WorkoutEvent', { type: 'HKWorkoutEventTypePause', date: date(start + 10 * MINUTE) }, [], '  '),
      element(
        'WorkoutEvent',
        { type: 'HKWorkoutEventTypeResume', date: date(start + 11 * MINUTE) },
        [],
        '  ',
      ),
      element(
        'WorkoutStatistics',
        {
          type: 'HKQuantityTypeIdentifierActiveEnergyBurned',
          startDate: date(start),
          endDate: date(end),
          sum: (minutes * 11.3).toFixed(3),
          unit: 'Cal',
        },
        [],
        '  ',
      ),
      element(
        'WorkoutStatistics',
        {
          type: 'HKQuantityTypeIdentifierDistanceWalkingRunning',
          startDate: date(start),
          endDate: date(end),
          sum: km.toFixed(5),
          unit: 'km',
        },
        [],
        '  ',
      ),
      element(
        'WorkoutStatistics',
        {
          type: 'HKQuantityTypeIdentifierHeartRate',
          startDate: date(start),
          endDate: date(end),
          average: 150,
          minimum: 118,
          maximum: 176,
          unit: 'count/min',
        },
        [],
        '  ',
      ),
      element(
        'WorkoutRoute',
        {
          sourceName: WATCH,
          sourceVersion: '9.1',
          creationDate: date(end + MINUTE),
          startDate: date(start),
          endDate: date(end),
        },
        [
          element('MetadataEntry', { key: 'HKMetadataKeySyncVersion', value: 2 }, [], '   '),
          element('FileReference', { path: routePath }, [], '   '),
        ],
        '  ',
      ),
    ],
  );
}
