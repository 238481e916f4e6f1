// Oura v2 documents (providers/oura/spec/oura-openapi.yml, components.schemas) as zod schemas. Objects
// are loose: the whole document is stored, so fields Oura adds later must survive validation. The
// envelope is checked on its own and each document separately, so one bad document is quarantined and
// the rest of its page kept. Fields the spec marks nullable accept null or absence; what the pipeline
// relies on stays strict: ids, `day` as a date, instants with an offset.
import { z } from 'zod';

/** ISODate: 'YYYY-MM-DD'. */
export const isoDate = z.iso.date();
/** LocalizedDateTime / UtcDateTime: an ISO 8601 instant with its offset ('+02:00' or 'Z'). */
export const localizedDateTime = z.iso.datetime({ offset: true, local: false });

const id = z.string().min(1);
const int = z.number().int();
const optionalInt = int.nullish();
const optionalNumber = z.number().nullish();
const optionalString = z.string().nullish();
/** Enums accept values Oura adds later: a new workout source is no reason to quarantine a workout. */
const openEnum = z.string().min(1);

/** PublicSample: items at a fixed interval from a start timestamp (nulls where nothing was measured). */
export const sampleSchema = z.looseObject({
  interval: z.number(),
  items: z.array(z.number().nullable()),
  timestamp: localizedDateTime,
});

const contributors = <K extends string>(names: readonly K[]) =>
  z.looseObject(
    Object.fromEntries(names.map((name) => [name, optionalInt])) as Record<K, typeof optionalInt>,
  );

export const SLEEP_CONTRIBUTORS = [
  'deep_sleep',
  'efficiency',
  'latency',
  'rem_sleep',
  'restfulness',
  'timing',
  'total_sleep',
] as const;
export const READINESS_CONTRIBUTORS = [
  'activity_balance',
  'body_temperature',
  'hrv_balance',
  'previous_day_activity',
  'previous_night',
  'recovery_index',
  'resting_heart_rate',
  'sleep_balance',
  'sleep_regularity',
] as const;
export const ACTIVITY_CONTRIBUTORS = [
  'meet_daily_targets',
  'move_every_hour',
  'recovery_time',
  'stay_active',
  'training_frequency',
  'training_volume',
] as const;

/** PublicDailySleep. */
export const dailySleepSchema = z.looseObject({
  id,
  contributors: contributors(SLEEP_CONTRIBUTORS),
  day: isoDate,
  score: optionalInt,
  timestamp: localizedDateTime,
});

/** PublicReadiness (embedded in a sleep period). */
export const readinessSchema = z.looseObject({
  contributors: contributors(READINESS_CONTRIBUTORS),
  score: optionalInt,
  temperature_deviation: optionalNumber,
  temperature_trend_deviation: optionalNumber,
});

/** PublicModifiedSleepModel: one sleep period (a night, a nap, a rejected rest). */
export const sleepSchema = z
  .looseObject({
    id,
    average_breath: optionalNumber,
    average_heart_rate: optionalNumber,
    average_hrv: optionalInt,
    awake_time: optionalInt,
    bedtime_end: localizedDateTime,
    bedtime_start: localizedDateTime,
    day: isoDate,
    deep_sleep_duration: optionalInt,
    efficiency: optionalInt,
    heart_rate: sampleSchema.nullish(),
    hrv: sampleSchema.nullish(),
    latency: optionalInt,
    light_sleep_duration: optionalInt,
    low_battery_alert: z.boolean(),
    lowest_heart_rate: optionalInt,
    movement_30_sec: optionalString,
    period: int,
    readiness: readinessSchema.nullish(),
    readiness_score_delta: optionalInt,
    rem_sleep_duration: optionalInt,
    restless_periods: optionalInt,
    sleep_algorithm_version: openEnum.nullish(),
    sleep_analysis_reason: openEnum.nullish(),
    sleep_phase_30_sec: optionalString,
    sleep_phase_5_min: optionalString,
    sleep_score_delta: optionalInt,
    time_in_bed: int,
    total_sleep_duration: optionalInt,
    type: openEnum.nullish(),
    ring_id: optionalString,
    app_sleep_phase_5_min: optionalString,
  })
  .refine((s) => Date.parse(s.bedtime_end) >= Date.parse(s.bedtime_start), {
    message: 'must not be before bedtime_start',
    path: ['bedtime_end'],
  });

/** PublicDailyReadiness. */
export const dailyReadinessSchema = z.looseObject({
  id,
  contributors: contributors(READINESS_CONTRIBUTORS),
  day: isoDate,
  score: optionalInt,
  temperature_deviation: optionalNumber,
  temperature_trend_deviation: optionalNumber,
  timestamp: localizedDateTime,
});

/** PublicDailyActivity: a 24-hour period starting at 4 a.m. local time. */
export const dailyActivitySchema = z.looseObject({
  id,
  active_calories: int,
  average_met_minutes: z.number(),
  class_5_min: optionalString,
  contributors: contributors(ACTIVITY_CONTRIBUTORS),
  day: isoDate,
  equivalent_walking_distance: int,
  high_activity_met_minutes: int,
  high_activity_time: int,
  inactivity_alerts: int,
  low_activity_met_minutes: int,
  low_activity_time: int,
  medium_activity_met_minutes: int,
  medium_activity_time: int,
  met: sampleSchema,
  meters_to_target: int,
  non_wear_time: int,
  resting_time: int,
  score: optionalInt,
  sedentary_met_minutes: int,
  sedentary_time: int,
  steps: int,
  target_calories: int,
  target_meters: int,
  timestamp: localizedDateTime,
  total_calories: int,
});

const startBeforeEnd = (value: { start_datetime: string; end_datetime: string }) =>
  Date.parse(value.end_datetime) >= Date.parse(value.start_datetime);
const endNotBeforeStart = { message: 'must not be before start_datetime', path: ['end_datetime'] };

/** PublicWorkout. */
export const workoutSchema = z
  .looseObject({
    id,
    activity: z.string(),
    calories: optionalNumber,
    day: isoDate,
    distance: optionalNumber,
    end_datetime: localizedDateTime,
    intensity: openEnum,
    label: optionalString,
    source: openEnum,
    start_datetime: localizedDateTime,
  })
  .refine(startBeforeEnd, endNotBeforeStart);

/** PublicSession: a guided or unguided Moment (breathing, meditation, nap, …). */
export const sessionSchema = z
  .looseObject({
    id,
    day: isoDate,
    end_datetime: localizedDateTime,
    heart_rate: sampleSchema.nullish(),
    heart_rate_variability: sampleSchema.nullish(),
    mood: openEnum.nullish(),
    motion_count: sampleSchema.nullish(),
    start_datetime: localizedDateTime,
    type: openEnum,
  })
  .refine(startBeforeEnd, endNotBeforeStart);

/** PublicDailySpO2. */
export const dailySpo2Schema = z.looseObject({
  id,
  breathing_disturbance_index: optionalInt,
  day: isoDate,
  spo2_percentage: z.looseObject({ average: z.number() }).nullish(),
});

/** PublicDailyStress. */
export const dailyStressSchema = z.looseObject({
  id,
  day: isoDate,
  day_summary: openEnum.nullish(),
  recovery_high: optionalInt,
  stress_high: optionalInt,
});

/** PublicHeartRateRow: one sample, without an id of its own. */
export const heartRateRowSchema = z.looseObject({
  timestamp: localizedDateTime,
  timestamp_unix: int,
  bpm: int,
  source: openEnum,
});

/** PersonalInfoResponse: the user's own id and body facts. */
export const personalInfoSchema = z.looseObject({
  id,
  age: optionalInt,
  weight: optionalNumber,
  height: optionalNumber,
  biological_sex: optionalString,
  email: optionalString,
});

/** MultiDocumentResponse / TimeSeriesResponse: documents are validated one by one afterwards. */
export const pageEnvelopeSchema = z.looseObject({
  data: z.array(z.unknown()),
  next_token: z.string().nullish(),
});

/** The token endpoint's answer (RFC 6749 §5.1). Oura's refresh tokens are single-use. */
export const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).nullish(),
  expires_in: z.number().positive(),
  token_type: z.string().nullish(),
  scope: z.string().nullish(),
});

/** A webhook notification (the spec's webhook guide: event_type, data_type, object_id, event_time, user_id). */
export const webhookEventSchema = z.looseObject({
  event_type: z.enum(['create', 'update', 'delete']),
  data_type: z.string().min(1),
  object_id: z.string().min(1),
  event_time: localizedDateTime.nullish(),
  user_id: z.string().min(1),
});

export type OuraSleep = z.output<typeof sleepSchema>;
export type OuraWorkout = z.output<typeof workoutSchema>;
export type OuraSession = z.output<typeof sessionSchema>;
export type OuraHeartRateRow = z.output<typeof heartRateRowSchema>;
export type OuraWebhookEvent = z.output<typeof webhookEventSchema>;
