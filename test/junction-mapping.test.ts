// Junction's pure parts: the exact [start, end) → inclusive start_date/end_date conversion, and
// documents (the spec's own examples) mapped to records: id as key, latest version wins, local day
// from calendar_date, offset from seconds, source.provider kept; bad documents quarantined.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contentKey } from '../providers/content-key.ts';
import { toJunctionRange } from '../providers/junction/date-range.ts';
import { mapJunctionDocuments, offsetFromSeconds } from '../providers/junction/mapping.ts';

const spec = JSON.parse(
  readFileSync(new URL('../providers/junction/spec/junction-openapi.subset.json', import.meta.url), 'utf8'),
) as { components: { schemas: Record<string, { example?: Record<string, unknown> }> } };
const example = (name: string) => {
  const value = spec.components.schemas[name]?.example;
  if (!value) throw new Error(`the spec copy has no example for ${name}`);
  return structuredClone(value);
};

describe('toJunctionRange', () => {
  it('turns a day-aligned [start, end) into whole dates with the last day included', () => {
    expect(toJunctionRange(new Date('2024-01-01T00:00:00Z'), new Date('2024-01-31T00:00:00Z'))).toEqual({
      start_date: '2024-01-01',
      end_date: '2024-01-30',
    });
    // One day is a single date: start and end the same (00:00:00 through 23:59:59).
    expect(toJunctionRange(new Date('2024-03-05T00:00:00Z'), new Date('2024-03-06T00:00:00Z'))).toEqual({
      start_date: '2024-03-05',
      end_date: '2024-03-05',
    });
  });

  it('turns an unaligned window into instants, the end one millisecond before the exclusive end', () => {
    expect(toJunctionRange(new Date('2024-01-01T06:30:00Z'), new Date('2024-01-08T06:30:00Z'))).toEqual({
      start_date: '2024-01-01T06:30:00.000Z',
      end_date: '2024-01-08T06:29:59.999Z',
    });
  });

  it('refuses an empty window', () => {
    const at = new Date('2024-01-01T00:00:00Z');
    expect(() => toJunctionRange(at, at)).toThrow(/empty window/);
  });
});

describe('mapJunctionDocuments', () => {
  it('maps the spec example sleep: id, bedtimes, calendar day, offset and source', () => {
    const sleep = example('ClientSleepResponse') as { sleep: Record<string, unknown>[] };
    const page = mapJunctionDocuments('sleep', sleep.sleep);
    expect(page.quarantined).toEqual([]);
    expect(page.records).toHaveLength(1);
    const [record] = page.records;
    expect(record).toMatchObject({
      kind: 'sleep',
      sourceId: 'e2e0eb04-6641-4858-9de5-649efb41b346',
      localDay: '2023-02-27',
      tzOffset: '+00:40',
      source: 'oura',
    });
    expect(record?.startAt?.toISOString()).toBe('2023-02-27T12:31:24.000Z');
    expect(record?.providerUpdatedAt?.toISOString()).toBe('2023-02-28T01:22:38.000Z');
    expect(record?.payload).toBe(sleep.sleep[0]);
  });

  it('maps the spec example activity over its local day, with the deprecated slug as source', () => {
    const activity = example('ClientFacingActivity');
    const [record] = mapJunctionDocuments('activity', [activity]).records;
    expect(record?.localDay).toBe('2023-03-22');
    expect(record?.tzOffset).toBe('+01:00');
    // Local midnight at +01:00 is 23:00 UTC the day before; the day lasts 24 hours.
    expect(record?.startAt?.toISOString()).toBe('2023-03-21T23:00:00.000Z');
    expect(record?.endAt?.toISOString()).toBe('2023-03-22T23:00:00.000Z');
    expect(record?.source).toBe('oura');
  });

  it('maps the spec example workout with its own times and source', () => {
    const [record] = mapJunctionDocuments('workouts', [example('ClientFacingWorkout')]).records;
    expect(record).toMatchObject({ sourceId: '185d0f34-dfc0-429f-84f9-b24030914bdd', source: 'strava' });
    expect(record?.endAt?.toISOString()).toBe('2023-02-27T12:31:24.000Z');
  });

  it('keeps the latest version of a document seen twice, whatever the order', () => {
    const older = example('ClientFacingWorkout');
    const newer = { ...structuredClone(older), calories: 999, updated_at: '2023-03-01T00:00:00+00:00' };
    for (const docs of [
      [older, newer],
      [newer, older],
    ]) {
      const page = mapJunctionDocuments('workouts', docs);
      expect(page.records).toHaveLength(1);
      expect(page.records[0]?.payload.calories).toBe(999);
    }
  });

  it('quarantines a document without calendar_date or source, with a reason, and keeps the rest', () => {
    const good = example('ClientFacingBody');
    const noDay: Record<string, unknown> = { ...structuredClone(good), id: 'b-1' };
    delete noDay.calendar_date;
    const noSource = { ...structuredClone(good), id: 'b-2', source: { type: 'scale' } };
    const page = mapJunctionDocuments('body', [good, noDay, noSource, 'nonsense']);
    expect(page.records.map((r) => r.sourceId)).toEqual([good.id]);
    expect(page.quarantined.map((q) => [q.sourceId, q.reason])).toEqual([
      ['b-1', expect.stringMatching(/^calendar_date: /)],
      ['b-2', expect.stringMatching(/^source\.provider: needs a provider/)],
      [null, 'record: expected a JSON object'],
    ]);
  });

  it('keys a heart-rate sample by its source and instant', () => {
    const page = mapJunctionDocuments('heartrate', [
      {
        timestamp: '2024-02-01T23:30:00+00:00',
        value: 61,
        unit: 'bpm',
        timezone_offset: -18000,
        source: { provider: 'garmin' },
      },
    ]);
    expect(page.records[0]).toMatchObject({
      sourceId: contentKey(['garmin', '2024-02-01T23:30:00.000Z']),
      tzOffset: '-05:00',
      localDay: '2024-02-01',
      source: 'garmin',
    });
  });

  it('writes offsets in seconds as ±hh:mm', () => {
    expect(offsetFromSeconds(10_800)).toBe('+03:00');
    expect(offsetFromSeconds(-28_800)).toBe('-08:00');
    expect(offsetFromSeconds(19_800)).toBe('+05:30');
    expect(offsetFromSeconds(0)).toBe('+00:00');
    expect(offsetFromSeconds(null)).toBeNull();
  });
});
