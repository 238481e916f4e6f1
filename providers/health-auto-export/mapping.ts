// A validated Health Auto Export payload → records (provider 'apple_health'). Pure. Kinds follow the
// Apple Health export importer where the data is the same: `record` (one sample; payload.type is
// the HealthKit identifier) and `workout`; HAE's per-night sleep totals, which an export does not
// have, are `sleep_summary`. source_id is a content key of what identifies the measurement (never
// a bucket's value), so a re-sent batch or an overlapping period updates the same row; a sleep stage,
// sent whole, takes the export importer's own key (providers/apple_health/sample-key.ts).

import { sampleKey } from '../apple_health/sample-key.ts';
import { contentKey } from '../content-key.ts';
import type { MappedRecord } from '../types.ts';
import { type HaeInstant, parseHaeDate } from './dates.ts';
import type { HaeMetric, HaePayload, HaeWorkout } from './schema.ts';
import { healthKitType, sleepStageValue } from './types.ts';

export const HAE_PROVIDER = 'apple_health';

function instant(text: string): HaeInstant {
  const parsed = parseHaeDate(text);
  // The schema admitted only parseable dates; reaching this is a bug, not bad input.
  if (!parsed) throw new Error(`unparseable Health Auto Export date "${text}"`);
  return parsed;
}

function record(
  kind: string,
  key: (string | number | null)[] | { sourceId: string },
  start: HaeInstant,
  end: HaeInstant,
  payload: Record<string, unknown>,
  source: string | null = null,
): MappedRecord {
  return {
    source,
    kind,
    sourceId: Array.isArray(key) ? contentKey([kind, ...key]) : key.sourceId,
    startAt: start.at,
    endAt: end.at,
    tzOffset: start.offset,
    localDay: start.localDay,
    providerUpdatedAt: null,
    payload,
  };
}

function mapMetric(metric: HaeMetric): MappedRecord[] {
  const type = healthKitType(metric.name);
  return metric.data.map((raw) => {
    const point = raw as Record<string, unknown>;
    const source = typeof point.source === 'string' ? point.source : null;
    // `unit` is the export's name for it (the `samples` view reads it); HAE's own `units` is kept too.
    const base = { type, metric: metric.name, unit: metric.units, units: metric.units, sourceName: source };
    if (typeof point.startDate === 'string' && typeof point.endDate === 'string') {
      // An interval sample (sleep stages), sent whole: keyed exactly as the export importer keys the
      // same sample (the stage is part of what identifies it), so a push and an export share a row.
      const start = instant(point.startDate);
      const end = instant(point.endDate);
      const value = typeof point.value === 'string' ? sleepStageValue(point.value) : null;
      return record(
        'record',
        {
          sourceId: sampleKey({ type, sourceName: source, unit: null, value, start: start.at, end: end.at }),
        },
        start,
        end,
        { ...base, ...point, value },
        source,
      );
    }
    const date = instant(String(point.date));
    if (metric.name === 'sleep_analysis') {
      const start = instant(String(point.sleepStart));
      const end = instant(String(point.sleepEnd));
      return record('sleep_summary', [source, date.localDay], start, end, { ...base, ...point }, source);
    }
    const value =
      typeof point.qty === 'number' ? point.qty : typeof point.Avg === 'number' ? point.Avg : null;
    // Not the export's sample key: HAE sends one instant (no end) and, aggregated, a bucket whose
    // value moves as samples arrive, so the value cannot be part of the key (a re-sent bucket would
    // become a second row) while the export's key needs both (docs/apple-health.md).
    return record(
      'record',
      [type, source, date.at.toISOString()],
      date,
      date,
      { ...base, ...point, value },
      source,
    );
  });
}

function mapWorkout(workout: HaeWorkout): MappedRecord {
  const start = instant(workout.start);
  const end = instant(workout.end);
  // Two workouts never share both start and end; the name may be localized, so it is not keyed.
  return record('workout', [start.at.toISOString(), end.at.toISOString()], start, end, {
    ...workout,
    workoutActivityType: workout.name,
  });
}

export function mapHealthAutoExport(payload: HaePayload): MappedRecord[] {
  return [...payload.data.metrics.flatMap(mapMetric), ...payload.data.workouts.map(mapWorkout)];
}
