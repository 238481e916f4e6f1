// Junction payloads (providers/junction/spec/junction-openapi.subset.json) as zod schemas. Objects are
// loose: the whole document is stored, so fields Junction adds later survive validation. What the
// pipeline relies on is strict: the document id (its key), calendar_date (its local day), instants
// with an offset, updated_at (latest version wins) and the source it came from.
import { z } from 'zod';

const instant = z.iso.datetime({ offset: true });
const calendarDate = z.iso.date();
const id = z.string().min(1);
/** Seconds east of UTC (the spec: EEST is 10800, PST is -28800); within ±18 h. */
const timezoneOffsetSeconds = z.number().int().min(-64_800).max(64_800).nullish();

/**
 * ClientFacingSource. `provider` is the device or app behind Junction ('oura', 'garmin',
 * 'apple_health_kit'…); older documents carry the deprecated `slug` instead, so either will do.
 */
export const sourceSchema = z
  .looseObject({
    provider: z.string().min(1).optional(),
    slug: z.string().optional(),
    type: z.string().nullish(),
  })
  .refine((source) => Boolean(source.provider || source.slug), {
    message: 'needs a provider (or the deprecated slug)',
    path: ['provider'],
  });

const documentBase = {
  id,
  user_id: id,
  calendar_date: calendarDate,
  timezone_offset: timezoneOffsetSeconds,
  source: sourceSchema,
  created_at: instant,
  updated_at: instant,
};

/** ClientFacingSleep: stage durations in seconds; `calendar_date` generally is the wake-up day. */
export const sleepSchema = z
  .looseObject({
    ...documentBase,
    date: instant,
    bedtime_start: instant,
    bedtime_stop: instant,
    type: z.string().nullish(),
    duration: z.number(),
    total: z.number(),
    awake: z.number(),
    light: z.number(),
    rem: z.number(),
    deep: z.number(),
  })
  .refine((s) => Date.parse(s.bedtime_stop) >= Date.parse(s.bedtime_start), {
    message: 'must not be before bedtime_start',
    path: ['bedtime_stop'],
  });

/** ClientFacingActivity: one per source and calendar day. */
export const activitySchema = z.looseObject({
  ...documentBase,
  date: instant,
  time_zone: z.string().nullish(),
});

/** ClientFacingWorkout. */
export const workoutSchema = z
  .looseObject({
    ...documentBase,
    time_start: instant,
    time_end: instant,
    provider_id: z.string().nullish(),
  })
  .refine((w) => Date.parse(w.time_end) >= Date.parse(w.time_start), {
    message: 'must not be before time_start',
    path: ['time_end'],
  });

/** ClientFacingBody: one per source and calendar day. */
export const bodySchema = z.looseObject({ ...documentBase, date: instant });

/**
 * One heart-rate sample as wearhouse stores it: ClientFacingHeartRateTimeseries with the
 * ClientFacingSource of its group attached (the client flattens GroupedHeartRateResponse).
 */
export const heartRateSampleSchema = z.looseObject({
  timestamp: instant,
  value: z.number(),
  unit: z.string(),
  timezone_offset: timezoneOffsetSeconds,
  source: sourceSchema,
});

/** Summary envelopes: `{ sleep: [...] }`, `{ activity: [...] }`, `{ workouts: [...] }`, `{ body: [...] }`. */
export const summaryEnvelopeSchemas = {
  sleep: z.looseObject({ sleep: z.array(z.unknown()) }),
  activity: z.looseObject({ activity: z.array(z.unknown()) }),
  workouts: z.looseObject({ workouts: z.array(z.unknown()) }),
  body: z.looseObject({ body: z.array(z.unknown()) }),
} as const;

/** GroupedHeartRateResponse: per source slug, groups of samples sharing one source; paged by next_cursor. */
export const groupedHeartRateSchema = z.looseObject({
  groups: z.record(
    z.string(),
    z.array(z.looseObject({ source: z.looseObject({}), data: z.array(z.unknown()) })),
  ),
  next_cursor: z.string().nullish(),
});

/** ClientFacingUser, the parts validateExternalUser looks at. */
export const userSchema = z.looseObject({ user_id: id });

/** ClientFacing<Kind>Changed: a daily.data.<kind>.created|updated event carries the document. */
export const dailyEventSchema = z.looseObject({
  event_type: z.string().regex(/^daily\.data\.[a-z_]+\.(created|updated)$/),
  user_id: id,
  data: z.looseObject({}),
});

/** ClientFacing<Kind>HistoricalPullCompleted: the range of a finished historical pull. */
export const historicalEventSchema = z.looseObject({
  event_type: z.string().regex(/^historical\.data\.[a-z_]+\.created$/),
  user_id: id,
  data: z.looseObject({
    user_id: id.optional(),
    // date-time per the spec, with or without an offset (none means UTC).
    start_date: z.iso.datetime({ offset: true, local: true }),
    end_date: z.iso.datetime({ offset: true, local: true }),
    provider: z.string().optional(),
  }),
});

export const webhookEnvelopeSchema = z.looseObject({ event_type: z.string().min(1) });
