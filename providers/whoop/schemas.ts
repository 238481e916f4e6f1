// WHOOP v2 payloads (providers/whoop/spec/whoop-openapi.yml) as zod schemas. Objects are loose: the whole
// payload is stored, so fields WHOOP adds later must survive validation. The envelope is checked on
// its own and each record separately, so one bad record is quarantined and the rest of its page kept.
//
// Where the real API is known to drift, the schemas are tolerant: enums accept values added later
// (typed as the known values plus string), optional fields may be null as well as absent, ids are
// any non-empty string rather than strictly RFC 4122. What the pipeline relies on stays strict:
// instants with an offset, a parsable timezone offset, and a score whenever score_state is SCORED.
import { z } from 'zod';

export const SCORE_STATES = ['SCORED', 'PENDING_SCORE', 'UNSCORABLE'] as const;
/** A known score state, or one WHOOP added after this was written. */
export type ScoreState = (typeof SCORE_STATES)[number] | (string & {});

// A cast rather than z.union([z.enum(...), z.string()]), whose output type collapses to plain string.
const scoreState = z.string().min(1) as unknown as z.ZodType<ScoreState, string>;

const instant = z.iso.datetime({ offset: true });
const optionalInstant = instant.nullish();

/** 'Z', '+hh:mm' or '-hh:mm' per the spec; '+hhmm' and '+hh' are tolerated. */
export const TIMEZONE_OFFSET_PATTERN = /^(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)$/;
const timezoneOffset = z
  .string()
  .regex(TIMEZONE_OFFSET_PATTERN, { message: "must be a timezone offset: 'Z', '+hh:mm' or '-hh:mm'" });

const id = z.string().min(1);
const intId = z.number().int().nonnegative();
const metric = z.number();
const optionalMetric = metric.nullish();

interface Scored {
  score_state: string;
  score?: unknown;
}
interface Timed {
  start: string;
  end?: string | null;
}

// `score` is only present for SCORED records; a SCORED record without one is unusable downstream.
const hasScoreWhenScored = (record: Scored) => record.score_state !== 'SCORED' || record.score != null;
const scoreWhenScored = { message: 'required when score_state is SCORED', path: ['score'] };

const endsAfterStart = (record: Timed) =>
  record.end == null || Date.parse(record.end) >= Date.parse(record.start);
const endNotBeforeStart = { message: 'must not be before start', path: ['end'] };

export const cycleScoreSchema = z.looseObject({
  strain: metric,
  kilojoule: metric,
  average_heart_rate: metric,
  max_heart_rate: metric,
});

export const cycleSchema = z
  .looseObject({
    id: intId,
    user_id: intId,
    created_at: instant,
    updated_at: instant,
    start: instant,
    /** Absent while the user is still in this cycle. */
    end: optionalInstant,
    timezone_offset: timezoneOffset,
    score_state: scoreState,
    score: cycleScoreSchema.nullish(),
  })
  .refine(hasScoreWhenScored, scoreWhenScored)
  .refine(endsAfterStart, endNotBeforeStart);

export const sleepStageSummarySchema = z.looseObject({
  total_in_bed_time_milli: metric,
  total_awake_time_milli: metric,
  total_no_data_time_milli: metric,
  total_light_sleep_time_milli: metric,
  total_slow_wave_sleep_time_milli: metric,
  total_rem_sleep_time_milli: metric,
  sleep_cycle_count: metric,
  disturbance_count: metric,
});

export const sleepNeededSchema = z.looseObject({
  baseline_milli: metric,
  need_from_sleep_debt_milli: metric,
  need_from_recent_strain_milli: metric,
  need_from_recent_nap_milli: metric,
});

export const sleepScoreSchema = z.looseObject({
  stage_summary: sleepStageSummarySchema,
  sleep_needed: sleepNeededSchema,
  respiratory_rate: optionalMetric,
  sleep_performance_percentage: optionalMetric,
  sleep_consistency_percentage: optionalMetric,
  sleep_efficiency_percentage: optionalMetric,
});

export const sleepSchema = z
  .looseObject({
    id,
    cycle_id: intId,
    v1_id: intId.nullish(),
    user_id: intId,
    created_at: instant,
    updated_at: instant,
    start: instant,
    end: instant,
    timezone_offset: timezoneOffset,
    nap: z.boolean(),
    score_state: scoreState,
    score: sleepScoreSchema.nullish(),
  })
  .refine(hasScoreWhenScored, scoreWhenScored)
  .refine(endsAfterStart, endNotBeforeStart);

export const recoveryScoreSchema = z.looseObject({
  user_calibrating: z.boolean(),
  recovery_score: metric,
  resting_heart_rate: metric,
  hrv_rmssd_milli: metric,
  /** Only for WHOOP 4.0 and later. */
  spo2_percentage: optionalMetric,
  skin_temp_celsius: optionalMetric,
});

export const recoverySchema = z
  .looseObject({
    cycle_id: intId,
    sleep_id: id,
    user_id: intId,
    created_at: instant,
    updated_at: instant,
    score_state: scoreState,
    score: recoveryScoreSchema.nullish(),
  })
  .refine(hasScoreWhenScored, scoreWhenScored);

export const zoneDurationsSchema = z.looseObject({
  zone_zero_milli: metric,
  zone_one_milli: metric,
  zone_two_milli: metric,
  zone_three_milli: metric,
  zone_four_milli: metric,
  zone_five_milli: metric,
});

export const workoutScoreSchema = z.looseObject({
  strain: metric,
  average_heart_rate: metric,
  max_heart_rate: metric,
  kilojoule: metric,
  percent_recorded: metric,
  distance_meter: optionalMetric,
  altitude_gain_meter: optionalMetric,
  altitude_change_meter: optionalMetric,
  zone_durations: zoneDurationsSchema,
});

export const workoutSchema = z
  .looseObject({
    id,
    v1_id: intId.nullish(),
    user_id: intId,
    created_at: instant,
    updated_at: instant,
    start: instant,
    end: instant,
    timezone_offset: timezoneOffset,
    /** Free text in the spec ('running'); new sports appear without notice. */
    sport_name: z.string(),
    /** Deprecated by WHOOP after 2025-09-01. */
    sport_id: z.number().int().nullish(),
    score_state: scoreState,
    score: workoutScoreSchema.nullish(),
  })
  .refine(hasScoreWhenScored, scoreWhenScored)
  .refine(endsAfterStart, endNotBeforeStart);

export const userBasicProfileSchema = z.looseObject({
  user_id: intId,
  // Plain strings: an unusual address is still the user's, and never a reason to quarantine.
  email: z.string(),
  first_name: z.string(),
  last_name: z.string(),
});

export const userBodyMeasurementSchema = z.looseObject({
  height_meter: metric,
  weight_kilogram: metric,
  max_heart_rate: metric,
});

/** Every collection response; records are validated one by one afterwards. */
export const pageEnvelopeSchema = z.looseObject({
  records: z.array(z.unknown()),
  next_token: z.string().nullish(),
});

/** The token endpoint's answer. WHOOP rotates the refresh token on every refresh. */
export const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).nullish(),
  expires_in: z.number().positive(),
  token_type: z.string().nullish(),
  scope: z.string().nullish(),
});

export type WhoopCycle = z.output<typeof cycleSchema>;
export type WhoopSleep = z.output<typeof sleepSchema>;
export type WhoopRecovery = z.output<typeof recoverySchema>;
export type WhoopWorkout = z.output<typeof workoutSchema>;
export type WhoopUserBasicProfile = z.output<typeof userBasicProfileSchema>;
export type WhoopUserBodyMeasurement = z.output<typeof userBodyMeasurementSchema>;
export type WhoopPageEnvelope = z.output<typeof pageEnvelopeSchema>;
export type WhoopTokenResponse = z.output<typeof tokenResponseSchema>;
