// Health Auto Export's REST JSON ({"data":{"metrics":[…],"workouts":[…]}}), validated before a
// batch is stored, so a sender learns at once (422, with the paths) what is wrong. Objects are loose:
// fields this schema does not name are kept in the stored batch and in each record's payload.
import { z } from 'zod';
import { HAE_DATE_MESSAGE, isHaeDate } from './dates.ts';

const haeDate = z.string().refine(isHaeDate, HAE_DATE_MESSAGE);
const num = z.number().finite();
const source = z.string().optional();

/** A single-value sample ("qty"), the shape of most metrics (step_count, active_energy, …). */
const quantityPoint = z.looseObject({ date: haeDate, qty: num, source });
/** heart_rate aggregates per period: Min/Avg/Max. */
const heartRatePoint = z.looseObject({ date: haeDate, Min: num, Avg: num, Max: num, source });
const bloodPressurePoint = z.looseObject({ date: haeDate, systolic: num, diastolic: num, source });
/** sleep_analysis, aggregated: one entry per night with stage totals in hours. */
const sleepAggregatedPoint = z.looseObject({
  date: haeDate,
  totalSleep: num,
  sleepStart: haeDate,
  sleepEnd: haeDate,
  asleep: num.optional(),
  core: num.optional(),
  deep: num.optional(),
  rem: num.optional(),
  awake: num.optional(),
  inBed: num.optional(),
  inBedStart: haeDate.optional(),
  inBedEnd: haeDate.optional(),
  source,
});
/** sleep_analysis, not aggregated: one entry per stage interval ("Core", "Deep", … localized). */
const sleepSamplePoint = z.looseObject({
  startDate: haeDate,
  endDate: haeDate,
  value: z.string().min(1),
  qty: num.optional(),
  source,
});

export type QuantityPoint = z.infer<typeof quantityPoint>;
export type HeartRatePoint = z.infer<typeof heartRatePoint>;
export type BloodPressurePoint = z.infer<typeof bloodPressurePoint>;
export type SleepAggregatedPoint = z.infer<typeof sleepAggregatedPoint>;
export type SleepSamplePoint = z.infer<typeof sleepSamplePoint>;

/** Which point shape a metric's name calls for (sleep_analysis: either form, told apart by its fields). */
export function pointSchemaFor(name: string, point: unknown): z.ZodType {
  if (name === 'heart_rate') return heartRatePoint;
  if (name === 'blood_pressure') return bloodPressurePoint;
  if (name === 'sleep_analysis') {
    return typeof point === 'object' && point !== null && 'startDate' in point
      ? sleepSamplePoint
      : sleepAggregatedPoint;
  }
  return quantityPoint;
}

const metric = z
  .looseObject({
    name: z.string().min(1),
    units: z.string(),
    data: z.array(z.unknown()),
  })
  .superRefine((value, ctx) => {
    value.data.forEach((point, index) => {
      const parsed = pointSchemaFor(value.name, point).safeParse(point);
      if (parsed.success) return;
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ ...issue, path: ['data', index, ...issue.path] } as never);
      }
    });
  });

const workoutHeartRate = z.looseObject({
  date: haeDate,
  Min: num.optional(),
  Avg: num.optional(),
  Max: num.optional(),
  qty: num.optional(),
  units: z.string().optional(),
  source,
});

const routePoint = z.looseObject({
  latitude: num.min(-90).max(90),
  longitude: num.min(-180).max(180),
  timestamp: haeDate,
  altitude: num.optional(),
  speed: num.optional(),
  course: num.optional(),
});

const workout = z.looseObject({
  id: z.string().min(1).optional(),
  name: z.string().min(1),
  start: haeDate,
  end: haeDate,
  duration: num.optional(),
  heartRateData: z.array(workoutHeartRate).optional(),
  route: z.array(routePoint).optional(),
});

export type HaeMetric = z.infer<typeof metric>;
export type HaeWorkout = z.infer<typeof workout>;

export const haePayloadSchema = z.looseObject({
  data: z.looseObject({
    metrics: z.array(metric).default([]),
    workouts: z.array(workout).default([]),
  }),
});

export type HaePayload = z.infer<typeof haePayloadSchema>;
