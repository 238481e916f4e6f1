// Validated Oura documents → rows of `records` (MappedRecord). Pure: the client, webhooks and tests
// all map through here. Every Oura document has an id except heart-rate samples (keyed by their
// instant); the local day is the document's own `day` (Oura's day, e.g. a night belongs to the day
// it ends on), never one recomputed from an instant; the payload is stored whole.
import type { z } from 'zod';
import { describeIssues } from '../issues.ts';
import type { MappedRecord, QuarantinedRecord } from '../types.ts';
import { OURA_SINGLE_KIND, type OuraCollectionKind } from './descriptor.ts';
import {
  dailyActivitySchema,
  dailyReadinessSchema,
  dailySleepSchema,
  dailySpo2Schema,
  dailyStressSchema,
  heartRateRowSchema,
  personalInfoSchema,
  sessionSchema,
  sleepSchema,
  workoutSchema,
} from './schemas.ts';

export type OuraKind = OuraCollectionKind | typeof OURA_SINGLE_KIND;

export interface MappedDocuments {
  records: MappedRecord[];
  quarantined: QuarantinedRecord[];
}

type MapResult = { ok: true; record: MappedRecord } | { ok: false; quarantined: QuarantinedRecord };
type Mapper = (payload: Record<string, unknown>) => MappedRecord | { reason: string };

const DAY_MS = 86_400_000;

export function isOuraKind(kind: string): kind is OuraKind {
  return Object.hasOwn(MAPPERS, kind);
}

/** Maps each document on its own: a bad one is quarantined with the reason, the rest are kept. */
export function mapOuraDocuments(kind: OuraKind, documents: readonly unknown[]): MappedDocuments {
  const page: MappedDocuments = { records: [], quarantined: [] };
  for (const raw of documents) {
    const result = mapOuraDocument(kind, raw);
    if (result.ok) page.records.push(result.record);
    else page.quarantined.push(result.quarantined);
  }
  return page;
}

export function mapOuraDocument(kind: OuraKind, raw: unknown): MapResult {
  const quarantine = (reason: string): MapResult => ({
    ok: false,
    quarantined: { kind, sourceId: guessSourceId(kind, raw), reason, payload: raw },
  });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return quarantine('record: expected a JSON object');
  }
  // The provider's own object is stored, not zod's copy: it is the whole payload by definition.
  const payload = raw as Record<string, unknown>;
  const mapped = MAPPERS[kind](payload);
  return 'reason' in mapped ? quarantine(mapped.reason) : { ok: true, record: mapped };
}

const MAPPERS: Record<OuraKind, Mapper> = {
  // Daily documents: `timestamp` is the start of the wearer's day (daily_activity: 4 a.m.), so it
  // carries the offset; the document spans one day from there.
  daily_sleep: (p) => parseWith(dailySleepSchema, p, (d) => daily('daily_sleep', d, p)),
  daily_readiness: (p) => parseWith(dailyReadinessSchema, p, (d) => daily('daily_readiness', d, p)),
  daily_activity: (p) => parseWith(dailyActivitySchema, p, (d) => daily('daily_activity', d, p)),
  // SpO2 and stress have a day but no timestamp: no instant or offset is invented for them.
  daily_spo2: (p) => parseWith(dailySpo2Schema, p, (d) => daily('daily_spo2', d, p)),
  daily_stress: (p) => parseWith(dailyStressSchema, p, (d) => daily('daily_stress', d, p)),
  sleep: (p) =>
    parseWith(sleepSchema, p, (s) => timed('sleep', s.id, s.bedtime_start, s.bedtime_end, s.day, p)),
  workout: (p) =>
    parseWith(workoutSchema, p, (w) => timed('workout', w.id, w.start_datetime, w.end_datetime, w.day, p)),
  session: (p) =>
    parseWith(sessionSchema, p, (s) => timed('session', s.id, s.start_datetime, s.end_datetime, s.day, p)),
  // A sample has no id and no wearer's offset (UtcDateTime): its instant is its key.
  heartrate: (p) =>
    parseWith(heartRateRowSchema, p, (row) => {
      const at = new Date(row.timestamp);
      return {
        kind: 'heartrate',
        sourceId: at.toISOString(),
        startAt: at,
        endAt: at,
        tzOffset: null,
        localDay: null,
        providerUpdatedAt: null,
        payload: p,
      };
    }),
  personal_info: (p) =>
    parseWith(personalInfoSchema, p, () => ({
      kind: OURA_SINGLE_KIND,
      sourceId: OURA_SINGLE_KIND,
      startAt: null,
      endAt: null,
      tzOffset: null,
      localDay: null,
      providerUpdatedAt: null,
      payload: p,
    })),
};

function parseWith<S extends z.ZodType>(
  schema: S,
  payload: Record<string, unknown>,
  map: (value: z.output<S>) => MappedRecord,
): MappedRecord | { reason: string } {
  const parsed = schema.safeParse(payload);
  return parsed.success ? map(parsed.data) : { reason: describeIssues(parsed.error) };
}

function daily(
  kind: OuraKind,
  doc: { id: string; day: string; timestamp?: unknown },
  payload: Record<string, unknown>,
): MappedRecord {
  const timestamp = typeof doc.timestamp === 'string' ? doc.timestamp : undefined;
  const startAt = timestamp ? new Date(timestamp) : null;
  return {
    kind,
    sourceId: doc.id,
    startAt,
    endAt: startAt ? new Date(startAt.getTime() + DAY_MS) : null,
    tzOffset: timestamp ? offsetOf(timestamp) : null,
    localDay: doc.day,
    // Oura documents carry no updated-at: change is detected by comparing payloads.
    providerUpdatedAt: null,
    payload,
  };
}

function timed(
  kind: OuraKind,
  sourceId: string,
  start: string,
  end: string,
  day: string,
  payload: Record<string, unknown>,
): MappedRecord {
  return {
    kind,
    sourceId,
    startAt: new Date(start),
    endAt: new Date(end),
    tzOffset: offsetOf(start),
    localDay: day,
    providerUpdatedAt: null,
    payload,
  };
}

/** The offset of an ISO 8601 instant in the canonical '+hh:mm' / '-hh:mm' / 'Z' form; null if none. */
export function offsetOf(instant: string): string | null {
  const match = /(Z|[+-]\d{2}(?::?\d{2})?)$/i.exec(instant.trim());
  const raw = match?.[1];
  if (!raw) return null;
  if (raw.toUpperCase() === 'Z') return 'Z';
  const digits = raw.slice(1).replace(':', '');
  const hh = digits.slice(0, 2);
  const mm = digits.slice(2) || '00';
  if (Number(hh) > 23 || Number(mm) > 59) return null;
  return `${raw[0]}${hh}:${mm}`;
}

/** Best effort, for quarantined documents: the id the document would have been stored under. */
function guessSourceId(kind: OuraKind, raw: unknown): string | null {
  if (kind === OURA_SINGLE_KIND) return OURA_SINGLE_KIND;
  if (typeof raw !== 'object' || raw === null) return null;
  const record = raw as Record<string, unknown>;
  if (kind === 'heartrate') {
    const at = typeof record.timestamp === 'string' ? Date.parse(record.timestamp) : Number.NaN;
    return Number.isNaN(at) ? null : new Date(at).toISOString();
  }
  return typeof record.id === 'string' && record.id.length > 0 ? record.id : null;
}
