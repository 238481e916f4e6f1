// Validated WHOOP payloads → rows of `records` (MappedRecord), and a collection page → Page with
// the records that failed validation quarantined one by one, with a readable reason.
import type { z } from 'zod';
import { ProviderError } from '../errors.ts';
import type { MappedPage, MappedRecord, Page, QuarantinedRecord, RawPage } from '../types.ts';
import { whoopDescriptor } from './descriptor.ts';
import {
  cycleSchema,
  pageEnvelopeSchema,
  recoverySchema,
  sleepSchema,
  TIMEZONE_OFFSET_PATTERN,
  userBasicProfileSchema,
  userBodyMeasurementSchema,
  workoutSchema,
} from './schemas.ts';

/** Paged kinds, in the order a backfill fetches them (a recovery belongs to its cycle and sleep). */
export const WHOOP_COLLECTION_KINDS = whoopDescriptor.kinds;
export type WhoopCollectionKind = (typeof WHOOP_COLLECTION_KINDS)[number];
/** Single objects, stored under a fixed source id. */
export type WhoopSingleKind = 'profile' | 'body_measurement';
export type WhoopKind = WhoopCollectionKind | WhoopSingleKind;

export type MapResult = { ok: true; record: MappedRecord } | { ok: false; quarantined: QuarantinedRecord };

export function isWhoopCollectionKind(kind: string): kind is WhoopCollectionKind {
  return (WHOOP_COLLECTION_KINDS as readonly string[]).includes(kind);
}

export function mapWhoopRecord(kind: WhoopKind, raw: unknown): MapResult {
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

/**
 * A collection response → its raw documents and cursor. A broken envelope means the API changed
 * shape: no record can be trusted and retrying will not help, so it fails the page as a client_error
 * instead of quarantining.
 */
export function parseWhoopEnvelope(kind: WhoopCollectionKind, body: unknown, cursor?: string): RawPage {
  const envelope = pageEnvelopeSchema.safeParse(body);
  if (!envelope.success) {
    throw new ProviderError(`WHOOP ${kind} page: ${describeIssues(envelope.error)}`, 'client_error');
  }
  const page: RawPage = { kind, documents: envelope.data.records };
  const next = envelope.data.next_token;
  if (next) {
    // The same cursor again would loop the window forever.
    if (next === cursor) {
      throw new ProviderError(`WHOOP ${kind} page: next_token repeats the request's cursor`, 'client_error');
    }
    page.nextCursor = next;
  }
  return page;
}

/** Validates and maps documents one by one; the bad ones are quarantined with a readable reason. */
export function mapWhoopDocuments(kind: WhoopKind, documents: readonly unknown[]): MappedPage {
  const page: MappedPage = { records: [], quarantined: [] };
  for (const raw of documents) {
    const result = mapWhoopRecord(kind, raw);
    if (result.ok) page.records.push(result.record);
    else page.quarantined.push(result.quarantined);
  }
  return page;
}

/** A collection response → Page: the envelope, then every document. */
export function mapWhoopPage(kind: WhoopCollectionKind, body: unknown, cursor?: string): Page {
  const raw = parseWhoopEnvelope(kind, body, cursor);
  const page: Page = mapWhoopDocuments(kind, raw.documents);
  if (raw.nextCursor) page.nextCursor = raw.nextCursor;
  return page;
}

export function isWhoopKind(kind: string): kind is WhoopKind {
  return isWhoopCollectionKind(kind) || kind === 'profile' || kind === 'body_measurement';
}

type Mapper = (payload: Record<string, unknown>) => MappedRecord | { reason: string };

const MAPPERS: Record<WhoopKind, Mapper> = {
  cycle: (payload) => parseWith(cycleSchema, payload, (c) => timed('cycle', String(c.id), c, payload)),
  sleep: (payload) => parseWith(sleepSchema, payload, (s) => timed('sleep', s.id, s, payload)),
  workout: (payload) => parseWith(workoutSchema, payload, (w) => timed('workout', w.id, w, payload)),
  // A recovery has no time of its own: it belongs to a physiological cycle, and its source id is that
  // cycle's id, which is also the cycle record's source id. Its time columns stay null and `timeFrom`
  // points at the cycle, whose start/end/day/offset the store and views use, rather than borrowing
  // created_at, which is when WHOOP computed the recovery, not the day it belongs to.
  recovery: (payload) =>
    parseWith(recoverySchema, payload, (r) => ({
      kind: 'recovery',
      sourceId: String(r.cycle_id),
      startAt: null,
      endAt: null,
      tzOffset: null,
      localDay: null,
      providerUpdatedAt: new Date(r.updated_at),
      payload,
      timeFrom: { kind: 'cycle', sourceId: String(r.cycle_id) },
    })),
  profile: (payload) => parseWith(userBasicProfileSchema, payload, () => single('profile', payload)),
  body_measurement: (payload) =>
    parseWith(userBodyMeasurementSchema, payload, () => single('body_measurement', payload)),
};

function parseWith<S extends z.ZodType>(
  schema: S,
  payload: Record<string, unknown>,
  map: (value: z.output<S>) => MappedRecord,
): MappedRecord | { reason: string } {
  const parsed = schema.safeParse(payload);
  return parsed.success ? map(parsed.data) : { reason: describeIssues(parsed.error) };
}

interface TimedPayload {
  start: string;
  end?: string | null;
  timezone_offset: string;
  updated_at: string;
}

function timed(
  kind: WhoopKind,
  sourceId: string,
  value: TimedPayload,
  payload: Record<string, unknown>,
): MappedRecord {
  const startAt = new Date(value.start);
  const endAt = value.end ? new Date(value.end) : null;
  const tzOffset = normalizeOffset(value.timezone_offset);
  return {
    kind,
    sourceId,
    startAt,
    endAt,
    tzOffset,
    localDay: tzOffset === null ? null : recordDay(kind, startAt, endAt, tzOffset),
    providerUpdatedAt: new Date(value.updated_at),
    payload,
  };
}

function single(kind: WhoopSingleKind, payload: Record<string, unknown>): MappedRecord {
  return {
    kind,
    sourceId: kind,
    startAt: null,
    endAt: null,
    tzOffset: null,
    localDay: null,
    providerUpdatedAt: null,
    payload,
  };
}

/** Minutes east of UTC for 'Z', '+hh:mm', '-hh:mm', '+hhmm' or '+hh'; null when not an offset. */
export function offsetMinutes(offset: string): number | null {
  if (!TIMEZONE_OFFSET_PATTERN.test(offset)) return null;
  if (offset === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
}

/** The canonical '+hh:mm' / '-hh:mm' / 'Z' form, so SQL can rely on one format. */
export function normalizeOffset(offset: string): string | null {
  const minutes = offsetMinutes(offset);
  if (minutes === null) return null;
  if (offset === 'Z') return 'Z';
  const abs = Math.abs(minutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${offset.startsWith('-') ? '-' : '+'}${hh}:${mm}`;
}

/** How long after its start a WHOOP cycle's day begins: see cycleDay. */
export const CYCLE_DAY_SHIFT_MS = 12 * 3_600_000;

/**
 * The `day` the typed views give a record (sql/005_views.sql), so records.local_day and the views
 * agree: a cycle belongs to the day of its waking hours (start + 12 h, wearhouse_cycle_day), a sleep
 * to the day the wearer woke up (its end; its start while it is still going on), a workout to its
 * start's day.
 */
export function recordDay(kind: WhoopKind, startAt: Date, endAt: Date | null, offset: string): string | null {
  if (kind === 'cycle') return localDay(new Date(startAt.getTime() + CYCLE_DAY_SHIFT_MS), offset);
  if (kind === 'sleep') return localDay(endAt ?? startAt, offset);
  return localDay(startAt, offset);
}

/** The wearer's calendar date (YYYY-MM-DD) at `instant`, in the given offset. */
export function localDay(instant: Date, offset: string): string | null {
  const minutes = offsetMinutes(offset);
  if (minutes === null) return null;
  return new Date(instant.getTime() + minutes * 60_000).toISOString().slice(0, 10);
}

/** "score.stage_summary.total_in_bed_time_milli: Invalid input: expected number, received string; …" */
export function describeIssues(error: z.ZodError, max = 5): string {
  const parts = error.issues.slice(0, max).map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path || 'record'}: ${issue.message}`;
  });
  const more = error.issues.length - max;
  return more > 0 ? `${parts.join('; ')}; and ${more} more` : parts.join('; ');
}

/** Best effort, for quarantined records: the id the record would have been stored under. */
function guessSourceId(kind: WhoopKind, raw: unknown): string | null {
  if (kind === 'profile' || kind === 'body_measurement') return kind;
  if (typeof raw !== 'object' || raw === null) return null;
  const value = (raw as Record<string, unknown>)[kind === 'recovery' ? 'cycle_id' : 'id'];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}
