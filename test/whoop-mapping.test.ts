// WHOOP schemas and mapping, on payloads built from the spec's own examples.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { providerCatalog } from '../providers/catalog.ts';
import { ProviderError } from '../providers/errors.ts';
import {
  localDay,
  mapWhoopPage,
  mapWhoopRecord,
  normalizeOffset,
  WHOOP_COLLECTION_KINDS,
  type WhoopKind,
} from '../providers/whoop/mapping.ts';
import { WHOOP_SPEC_URL } from './fixtures/whoop-spec.ts';

type Json = Record<string, unknown>;
interface SpecSchema {
  $ref?: string;
  type?: string;
  example?: unknown;
  properties?: Record<string, SpecSchema>;
  items?: SpecSchema;
}

const spec = parse(readFileSync(WHOOP_SPEC_URL, 'utf8')) as {
  components: { schemas: Record<string, SpecSchema> };
};

/** An object with every property the spec documents, each set to the spec's example. */
function specExample(name: string): Json {
  const build = (schema: SpecSchema): unknown => {
    if (schema.$ref)
      return build(spec.components.schemas[schema.$ref.split('/').pop() as string] as SpecSchema);
    if (schema.properties) {
      return Object.fromEntries(Object.entries(schema.properties).map(([key, value]) => [key, build(value)]));
    }
    return schema.example;
  };
  return build(spec.components.schemas[name] as SpecSchema) as Json;
}

function mapOk(kind: WhoopKind, raw: unknown) {
  const result = mapWhoopRecord(kind, raw);
  if (!result.ok) throw new Error(`expected ${kind} to map, quarantined: ${result.quarantined.reason}`);
  return result.record;
}

function reasonOf(kind: WhoopKind, raw: unknown): string {
  const result = mapWhoopRecord(kind, raw);
  if (result.ok) throw new Error(`expected ${kind} to be quarantined`);
  return result.quarantined.reason;
}

const cycle = () => specExample('Cycle');
const sleep = () => specExample('Sleep');
const recovery = () => specExample('Recovery');
const workout = () => specExample('WorkoutV2');

describe('WHOOP mapping of the spec examples', () => {
  it('maps a cycle: id as source id, times, offset and the local day of its waking hours', () => {
    const record = mapOk('cycle', cycle());
    expect(record).toMatchObject({
      kind: 'cycle',
      sourceId: '93845',
      startAt: new Date('2022-04-24T02:25:44.774Z'),
      endAt: new Date('2022-04-24T10:25:44.774Z'),
      tzOffset: '-05:00',
      // 02:25Z at -05:00 is 21:25 the evening before; its waking hours (start + 12 h) are on the 24th,
      // the `day` the cycles view gives it.
      localDay: '2022-04-24',
      providerUpdatedAt: new Date('2022-04-24T14:25:44.774Z'),
    });
    expect(record.payload).toEqual(cycle());
  });

  it('maps a sleep and a workout by their uuid', () => {
    // A sleep belongs to the day its wearer woke up: ends 10:25Z at -05:00, 05:25 on the 24th.
    expect(mapOk('sleep', sleep())).toMatchObject({
      kind: 'sleep',
      sourceId: 'ecfc6a15-4661-442f-a9a4-f160dd7afae8',
      localDay: '2022-04-24',
    });
    const w = mapOk('workout', workout());
    expect(w).toMatchObject({ kind: 'workout', sourceId: 'ecfc6a15-4661-442f-a9a4-f160dd7afae8' });
    expect(w.endAt).toEqual(new Date('2022-04-24T10:25:44.774Z'));
  });

  it('maps a recovery under its cycle id, taking its time from that cycle', () => {
    const record = mapOk('recovery', recovery());
    expect(record).toMatchObject({
      kind: 'recovery',
      sourceId: '93845',
      startAt: null,
      endAt: null,
      tzOffset: null,
      localDay: null,
      providerUpdatedAt: new Date('2022-04-24T14:25:44.774Z'),
      timeFrom: { kind: 'cycle', sourceId: '93845' },
    });
  });

  it('maps the profile and body measurement as single objects under fixed ids', () => {
    expect(mapOk('profile', specExample('UserBasicProfile'))).toMatchObject({
      kind: 'profile',
      sourceId: 'profile',
      startAt: null,
      providerUpdatedAt: null,
    });
    expect(mapOk('body_measurement', specExample('UserBodyMeasurement'))).toMatchObject({
      kind: 'body_measurement',
      sourceId: 'body_measurement',
    });
  });

  it('maps the spec example of every kind the workflows plan with', () => {
    const exampleOf = { cycle, sleep, recovery, workout } as Record<string, (() => Json) | undefined>;
    // The catalog the workflows plan with holds the very list the client fetches and maps.
    expect(providerCatalog.whoop?.kinds).toBe(WHOOP_COLLECTION_KINDS);
    for (const kind of WHOOP_COLLECTION_KINDS) {
      const example = exampleOf[kind];
      expect(example, `a spec example for ${kind}`).toBeDefined();
      expect(mapOk(kind, example?.()).kind).toBe(kind);
    }
  });
});

describe('WHOOP schemas are tolerant where the API drifts', () => {
  it('keeps unknown fields, top-level and nested, in the stored payload', () => {
    const raw = sleep();
    raw.brand_new_field = { nested: [1, 2] };
    (raw.score as Json).sleep_quality_v2 = 87;
    ((raw.score as Json).stage_summary as Json as Json).total_deep_rem_milli = 5;
    const record = mapOk('sleep', raw);
    expect(record.payload.brand_new_field).toEqual({ nested: [1, 2] });
    expect((record.payload.score as Json).sleep_quality_v2).toBe(87);
    expect(((record.payload.score as Json).stage_summary as Json).total_deep_rem_milli).toBe(5);
  });

  it('accepts a score_state or sport WHOOP added later', () => {
    expect(mapOk('cycle', { ...cycle(), score_state: 'RESCORING', score: undefined }).kind).toBe('cycle');
    expect(mapOk('workout', { ...workout(), sport_name: 'padel', sport_id: undefined }).kind).toBe('workout');
  });

  it('accepts unscored records without a score, absent or null, and a cycle still in progress', () => {
    const { score: _score, ...pending } = sleep();
    expect(mapOk('sleep', { ...pending, score_state: 'PENDING_SCORE' }).sourceId).toBeTruthy();
    expect(mapOk('recovery', { ...recovery(), score_state: 'UNSCORABLE', score: null }).sourceId).toBe(
      '93845',
    );
    const { end: _end, ...current } = cycle();
    expect(mapOk('cycle', current).endAt).toBeNull();
    expect(mapOk('cycle', { ...cycle(), end: null }).endAt).toBeNull();
  });

  it('accepts optional metrics that are missing or null', () => {
    const raw = recovery();
    delete (raw.score as Json).spo2_percentage;
    (raw.score as Json).skin_temp_celsius = null;
    expect(mapOk('recovery', raw).kind).toBe('recovery');
  });
});

describe('WHOOP records failing validation are quarantined with a readable reason', () => {
  it('names the path and the problem', () => {
    const raw = sleep();
    ((raw.score as Json).stage_summary as Json).total_in_bed_time_milli = 'lots';
    expect(reasonOf('sleep', raw)).toBe(
      'score.stage_summary.total_in_bed_time_milli: Invalid input: expected number, received string',
    );
    expect(reasonOf('cycle', { ...cycle(), start: 'yesterday' })).toMatch(/^start: Invalid ISO datetime/);
    expect(reasonOf('workout', { ...workout(), start: '2022-04-24T02:25:44' })).toMatch(/^start: /);
  });

  it('rejects a SCORED record without a score', () => {
    expect(reasonOf('recovery', { ...recovery(), score: undefined })).toBe(
      'score: required when score_state is SCORED',
    );
  });

  it('rejects a record ending before it starts, an unreadable offset, a missing id', () => {
    expect(reasonOf('sleep', { ...sleep(), end: '2022-04-23T00:00:00Z' })).toBe(
      'end: must not be before start',
    );
    expect(reasonOf('cycle', { ...cycle(), timezone_offset: 'EST' })).toMatch(
      /^timezone_offset: must be a timezone/,
    );
    expect(reasonOf('workout', { ...workout(), id: undefined })).toMatch(/^id: /);
    expect(reasonOf('sleep', 'not a record')).toBe('record: expected a JSON object');
  });

  it('keeps the rest of the page and the bad record with its id and payload', () => {
    const good = cycle();
    const other = {
      ...cycle(),
      id: 93846,
      start: '2022-04-25T02:00:00.000Z',
      end: '2022-04-26T02:00:00.000Z',
    };
    const bad = { ...cycle(), id: 93847, user_id: 'me' };
    const page = mapWhoopPage('cycle', { records: [good, bad, other], next_token: 'abc' });
    expect(page.records.map((r) => r.sourceId)).toEqual(['93845', '93846']);
    expect(page.quarantined).toEqual([
      {
        kind: 'cycle',
        sourceId: '93847',
        reason: 'user_id: Invalid input: expected number, received string',
        payload: bad,
      },
    ]);
    expect(page.nextCursor).toBe('abc');
  });
});

describe('WHOOP pages', () => {
  it('ends the collection without a next_token, or with an empty or null one', () => {
    expect(mapWhoopPage('sleep', { records: [] }).nextCursor).toBeUndefined();
    expect(mapWhoopPage('sleep', { records: [], next_token: '' }).nextCursor).toBeUndefined();
    expect(mapWhoopPage('sleep', { records: [], next_token: null }).nextCursor).toBeUndefined();
  });

  it('fails the whole page as a client error when the envelope is not a page', () => {
    for (const body of [[], { data: [] }, { records: 'none' }, null]) {
      const error = catchError(() => mapWhoopPage('workout', body));
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ errorClass: 'client_error' });
      expect(error.message).toMatch(/^WHOOP workout page: /);
    }
  });

  it('refuses a next_token equal to the cursor it was asked for (an endless loop)', () => {
    const error = catchError(() => mapWhoopPage('cycle', { records: [], next_token: 'same' }, 'same'));
    expect(error).toMatchObject({ errorClass: 'client_error' });
  });
});

describe('WHOOP timezone offsets and local days', () => {
  const at = (iso: string, offset: string) => ({
    ...cycle(),
    start: iso,
    end: null,
    timezone_offset: offset,
  });

  it.each([
    ['2024-03-10T23:30:00.000Z', 'Z', 'Z', '2024-03-10'],
    ['2024-03-10T23:30:00.000Z', '+01:00', '+01:00', '2024-03-11'],
    ['2024-03-10T18:45:00.000Z', '+05:30', '+05:30', '2024-03-11'],
    ['2024-03-10T18:45:00.000Z', '+0530', '+05:30', '2024-03-11'],
    ['2024-03-11T03:00:00.000Z', '-05:00', '-05:00', '2024-03-10'],
    ['2024-03-11T03:00:00.000Z', '-0300', '-03:00', '2024-03-11'],
    ['2024-03-11T11:00:00.000Z', '+14', '+14:00', '2024-03-12'],
    ['2024-12-31T20:00:00.000Z', '+04:00', '+04:00', '2025-01-01'],
  ])('start %s at %s is stored as %s, local date %s', (start, offset, normalized, day) => {
    const record = mapOk('cycle', at(start, offset));
    expect(record.tzOffset).toBe(normalized);
    expect(localDay(new Date(start), normalized)).toBe(day);
    // A cycle's own day is that of its waking hours, 12 h after it starts.
    expect(record.localDay).toBe(localDay(new Date(Date.parse(start) + 12 * 3_600_000), normalized));
    expect(record.startAt).toEqual(new Date(start));
  });

  it('treats anything else as no offset', () => {
    expect(normalizeOffset('+25:00')).toBeNull();
    expect(localDay(new Date(), 'UTC')).toBeNull();
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
