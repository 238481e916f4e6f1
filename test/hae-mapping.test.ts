// Health Auto Export's JSON: what the schema accepts and refuses (with paths), and how points map
// to content-keyed records that a re-send or an overlapping period cannot duplicate.
import { describe, expect, it } from 'vitest';
import { mapElement } from '../providers/apple_health/mapping.ts';
import { contentKey } from '../providers/content-key.ts';
import { parseHaeDate } from '../providers/health-auto-export/dates.ts';
import { mapHealthAutoExport } from '../providers/health-auto-export/mapping.ts';
import { haePayloadSchema } from '../providers/health-auto-export/schema.ts';
import { haeBatch, recordsPerBatch } from './fixtures/health-auto-export.ts';

const map = (payload: unknown) => mapHealthAutoExport(haePayloadSchema.parse(payload));

describe('Health Auto Export dates', () => {
  it('reads the app format and ISO, keeping the offset and the local day', () => {
    expect(parseHaeDate('2024-02-06 23:30:00 -0800')).toEqual({
      at: new Date('2024-02-07T07:30:00Z'),
      offset: '-08:00',
      localDay: '2024-02-06',
    });
    expect(parseHaeDate('2024-02-06T23:30:00+05:30')?.at).toEqual(new Date('2024-02-06T18:00:00Z'));
    expect(parseHaeDate('06/02/2024 23:30')).toBeUndefined();
  });
});

describe('contentKey', () => {
  it('is 32 hex chars of sha256(JSON.stringify(parts)), order-sensitive', () => {
    expect(contentKey(['a', 1, null])).toMatch(/^[0-9a-f]{32}$/);
    expect(contentKey(['a', 1, null])).toBe(contentKey(['a', 1, null]));
    expect(contentKey(['a', 1])).not.toBe(contentKey([1, 'a']));
  });
});

describe('the schema', () => {
  it('accepts a batch with every form', () => {
    expect(haePayloadSchema.safeParse(haeBatch()).success).toBe(true);
  });

  it('names the paths of what is wrong', () => {
    const bad = haeBatch();
    const metrics = bad.data.metrics as Record<string, unknown>[];
    (metrics[0]?.data as Record<string, unknown>[])[1] = { date: 'yesterday', Min: 1, Avg: 'x', Max: 3 };
    (bad.data.workouts[0] as Record<string, unknown>).start = 12;
    const result = haePayloadSchema.safeParse(bad);
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual([
      'data.metrics.0.data.1.Avg',
      'data.metrics.0.data.1.date',
      'data.workouts.0.start',
    ]);
  });

  it('refuses a payload without data', () => {
    expect(haePayloadSchema.safeParse({ metrics: [] }).success).toBe(false);
  });
});

describe('mapping', () => {
  const records = map(haeBatch());

  it('maps every point: quantity and heart-rate samples, both sleep forms, workouts', () => {
    expect(records).toHaveLength(recordsPerBatch());
    const byKind = (kind: string) => records.filter((r) => r.kind === kind);
    expect(byKind('record')).toHaveLength(3 + 3 + 2);
    expect(byKind('sleep_summary')).toHaveLength(1);
    expect(byKind('workout')).toHaveLength(1);
  });

  it('uses HealthKit type names and keeps HAE names, units, source and the values', () => {
    const heartRate = records.find((r) => r.payload.metric === 'heart_rate');
    expect(heartRate?.payload).toMatchObject({
      type: 'HKQuantityTypeIdentifierHeartRate',
      unit: 'count/min',
      units: 'count/min',
      sourceName: 'Apple Watch',
      Min: 55,
      Avg: 62,
      Max: 80,
      value: 62,
    });
    expect(heartRate?.startAt).toEqual(new Date('2024-02-06T08:00:00Z'));
    expect(heartRate?.tzOffset).toBe('-08:00');
    expect(heartRate?.localDay).toBe('2024-02-06');
    const stage = records.find((r) => r.payload.value === 'HKCategoryValueSleepAnalysisAsleepDeep');
    expect(stage?.payload.type).toBe('HKCategoryTypeIdentifierSleepAnalysis');
    const workout = records.find((r) => r.kind === 'workout');
    expect(workout?.payload).toMatchObject({ workoutActivityType: 'Outdoor Run' });
    expect(workout?.payload.route).toHaveLength(2);
    expect(workout?.payload.heartRateData).toHaveLength(2);
  });

  it('gives every point its own key, and the same key when the point is sent again changed', () => {
    const keys = records.map((r) => `${r.kind}:${r.sourceId}`);
    expect(new Set(keys).size).toBe(keys.length);
    const again = haeBatch();
    const steps = again.data.metrics.find((m) => m.name === 'step_count') as { data: { qty: number }[] };
    (steps.data[0] as { qty: number }).qty = 999;
    const resent = map(again);
    expect(resent.map((r) => `${r.kind}:${r.sourceId}`)).toEqual(keys);
    expect(resent.find((r) => r.payload.value === 999)).toBeDefined();
  });

  it('overlapping periods share the points they have in common', () => {
    const first = new Set(map(haeBatch({ hour: 0, points: 4, workouts: false })).map((r) => r.sourceId));
    const second = map(haeBatch({ hour: 0, points: 6, workouts: false })).map((r) => r.sourceId);
    expect(second.filter((id) => first.has(id))).toHaveLength(4 * 2 + 3);
  });

  it('a sleep stage pushed by the app and the same stage in an export.xml get the same key', () => {
    const pushed = map(haeBatch({ hour: 0, points: 1, workouts: false })).filter(
      (r) => r.payload.type === 'HKCategoryTypeIdentifierSleepAnalysis' && r.kind === 'record',
    );
    expect(pushed).toHaveLength(2);
    // The same two samples as the export writes them (the Core one is 16:00–17:00 local, -08:00).
    const exported = [
      ['2024-02-05 16:00:00 -0800', '2024-02-05 17:00:00 -0800', 'HKCategoryValueSleepAnalysisAsleepCore'],
      ['2024-02-05 17:00:00 -0800', '2024-02-05 18:30:00 -0800', 'HKCategoryValueSleepAnalysisAsleepDeep'],
    ].map(([startDate, endDate, value]) => {
      const mapped = mapElement({
        name: 'Record',
        attrs: {
          type: 'HKCategoryTypeIdentifierSleepAnalysis',
          sourceName: 'Apple Watch',
          sourceVersion: '10.3',
          creationDate: endDate as string,
          startDate: startDate as string,
          endDate: endDate as string,
          value: value as string,
        },
        children: [],
      });
      expect(mapped.quarantined).toEqual([]);
      return mapped.records[0];
    });
    expect(pushed.map((r) => [r.kind, r.sourceId])).toEqual(exported.map((r) => [r?.kind, r?.sourceId]));
    // Another source, or another stage over the same minutes, is another sample.
    const [firstPushed] = pushed;
    const other = mapElement({
      name: 'Record',
      attrs: {
        type: 'HKCategoryTypeIdentifierSleepAnalysis',
        sourceName: 'iPhone',
        startDate: '2024-02-05 16:00:00 -0800',
        endDate: '2024-02-05 17:00:00 -0800',
        value: 'HKCategoryValueSleepAnalysisAsleepCore',
      },
      children: [],
    }).records[0];
    expect(other?.sourceId).not.toBe(firstPushed?.sourceId);
  });
});
