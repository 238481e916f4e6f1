// Oura documents → records: ids as source ids (heart-rate samples keyed by their instant), the local
// day from the document's own `day`, offsets from its instants, the payload whole; a bad document is
// quarantined with a readable reason and its page kept.
import { describe, expect, it } from 'vitest';
import { mapOuraDocuments, offsetOf } from '../providers/oura/mapping.ts';

const dailySleep = {
  id: 'ds-1',
  contributors: {
    deep_sleep: 80,
    efficiency: 90,
    latency: 70,
    rem_sleep: 85,
    restfulness: 60,
    timing: 95,
    total_sleep: 88,
  },
  day: '2024-03-02',
  score: 82,
  timestamp: '2024-03-02T00:00:00+02:00',
};
const sleep = {
  id: 'sl-1',
  bedtime_start: '2024-03-01T23:10:00+02:00',
  bedtime_end: '2024-03-02T07:05:00+02:00',
  day: '2024-03-02',
  low_battery_alert: false,
  period: 0,
  time_in_bed: 28_500,
  total_sleep_duration: 26_000,
  type: 'long_sleep',
  readiness: { contributors: { hrv_balance: 70 }, score: 77 },
};

describe('mapOuraDocuments', () => {
  it('maps a daily document: its id, its day, the day from its timestamp, no updated-at', () => {
    const { records, quarantined } = mapOuraDocuments('daily_sleep', [dailySleep]);
    expect(quarantined).toEqual([]);
    expect(records).toEqual([
      {
        kind: 'daily_sleep',
        sourceId: 'ds-1',
        startAt: new Date('2024-03-01T22:00:00Z'),
        endAt: new Date('2024-03-02T22:00:00Z'),
        tzOffset: '+02:00',
        localDay: '2024-03-02',
        providerUpdatedAt: null,
        payload: dailySleep,
      },
    ]);
    expect(records[0]?.payload).toBe(dailySleep);
  });

  it('maps a sleep period to its bedtimes, keeping the day Oura gave it (the day it ends on)', () => {
    const [record] = mapOuraDocuments('sleep', [sleep]).records;
    expect(record).toMatchObject({
      kind: 'sleep',
      sourceId: 'sl-1',
      startAt: new Date('2024-03-01T21:10:00Z'),
      endAt: new Date('2024-03-02T05:05:00Z'),
      tzOffset: '+02:00',
      localDay: '2024-03-02',
    });
  });

  it('daily documents without a timestamp (SpO2, stress) get a day but no invented instant', () => {
    const spo2 = {
      id: 'sp-1',
      day: '2024-03-02',
      spo2_percentage: { average: 96.5 },
      breathing_disturbance_index: 4,
    };
    const [record] = mapOuraDocuments('daily_spo2', [spo2]).records;
    expect(record).toMatchObject({
      sourceId: 'sp-1',
      startAt: null,
      endAt: null,
      tzOffset: null,
      localDay: '2024-03-02',
    });
  });

  it('keys heart-rate samples by their instant', () => {
    const row = {
      timestamp: '2024-03-02T05:00:00+00:00',
      timestamp_unix: 1709355600000,
      bpm: 52,
      source: 'sleep',
    };
    const [record] = mapOuraDocuments('heartrate', [row]).records;
    expect(record).toMatchObject({
      sourceId: '2024-03-02T05:00:00.000Z',
      startAt: new Date('2024-03-02T05:00:00Z'),
    });
  });

  it('quarantines a bad document with the reason and keeps the rest of the page', () => {
    const broken = { ...sleep, id: 'sl-2', day: '2 March', time_in_bed: '8h' };
    const endsBeforeStart = { ...sleep, id: 'sl-3', bedtime_end: '2024-03-01T20:00:00+02:00' };
    const { records, quarantined } = mapOuraDocuments('sleep', [sleep, broken, endsBeforeStart, 'nope']);
    expect(records.map((r) => r.sourceId)).toEqual(['sl-1']);
    expect(quarantined.map((q) => [q.sourceId, q.reason])).toEqual([
      ['sl-2', expect.stringMatching(/^day: .*; time_in_bed: .*expected number/)],
      ['sl-3', 'bedtime_end: must not be before bedtime_start'],
      [null, 'record: expected a JSON object'],
    ]);
    expect(quarantined[0]?.payload).toBe(broken);
  });

  it('accepts values Oura adds later to its enums and fields it adds to documents', () => {
    const workout = {
      id: 'w-1',
      activity: 'padel',
      day: '2024-03-02',
      start_datetime: '2024-03-02T18:00:00-05:00',
      end_datetime: '2024-03-02T19:00:00-05:00',
      intensity: 'extreme',
      source: 'watch_import',
      new_field: { anything: true },
    };
    const { records, quarantined } = mapOuraDocuments('workout', [workout]);
    expect(quarantined).toEqual([]);
    expect(records[0]).toMatchObject({ tzOffset: '-05:00', localDay: '2024-03-02' });
  });
});

describe('offsetOf', () => {
  it('reads the offset of an instant in the canonical form', () => {
    expect(offsetOf('2024-03-02T00:00:00+02:00')).toBe('+02:00');
    expect(offsetOf('2024-03-02T00:00:00-0530')).toBe('-05:30');
    expect(offsetOf('2024-03-02T00:00:00Z')).toBe('Z');
    expect(offsetOf('2024-03-02T00:00:00')).toBeNull();
  });
});
