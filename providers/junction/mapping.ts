// Validated Junction documents → rows of `records`. Pure: the pull path (client.ts) and the webhook
// path (webhooks.ts) share it. A document's `id` is its key and the latest `updated_at` wins; its
// local day is its own calendar_date; its `source.provider` (Oura, Garmin, Apple…) is kept as `source`.
import type { z } from 'zod';
import { contentKey } from '../content-key.ts';
import type { MappedRecord, QuarantinedRecord } from '../types.ts';
import type { JunctionKind } from './descriptor.ts';
import { activitySchema, bodySchema, heartRateSampleSchema, sleepSchema, workoutSchema } from './schemas.ts';

const DAY_MS = 86_400_000;

/** A record with the device or app that measured it always set (null when Junction does not say). */
export type JunctionRecord = MappedRecord & { source: string | null };

export interface JunctionMappedPage {
  records: JunctionRecord[];
  quarantined: QuarantinedRecord[];
}

export type JunctionMapResult =
  | { ok: true; record: JunctionRecord }
  | { ok: false; quarantined: QuarantinedRecord };

export function mapJunctionDocument(kind: JunctionKind, raw: unknown): JunctionMapResult {
  const quarantine = (reason: string): JunctionMapResult => ({
    ok: false,
    quarantined: { kind, sourceId: guessSourceId(kind, raw), reason, payload: raw },
  });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return quarantine('record: expected a JSON object');
  }
  // Junction's own object is stored, not zod's copy: it is the whole payload by definition.
  const payload = raw as Record<string, unknown>;
  const mapped = MAPPERS[kind](payload);
  return 'reason' in mapped ? quarantine(mapped.reason) : { ok: true, record: mapped };
}

/**
 * Documents of one kind → records and quarantined documents. The same id twice (a page spanning a
 * re-sync, a webhook replaying an old version) keeps the version with the latest updated_at.
 */
export function mapJunctionDocuments(kind: JunctionKind, documents: unknown[]): JunctionMappedPage {
  const latest = new Map<string, JunctionRecord>();
  const quarantined: QuarantinedRecord[] = [];
  for (const raw of documents) {
    const result = mapJunctionDocument(kind, raw);
    if (!result.ok) {
      quarantined.push(result.quarantined);
      continue;
    }
    const previous = latest.get(result.record.sourceId);
    if (!previous || isNewer(result.record, previous)) latest.set(result.record.sourceId, result.record);
  }
  return { records: [...latest.values()], quarantined };
}

function isNewer(candidate: JunctionRecord, current: JunctionRecord): boolean {
  const a = candidate.providerUpdatedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
  const b = current.providerUpdatedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
  return a >= b;
}

type Mapper = (payload: Record<string, unknown>) => JunctionRecord | { reason: string };

const MAPPERS: Record<JunctionKind, Mapper> = {
  sleep: (payload) =>
    parseWith(sleepSchema, payload, (s) =>
      summary('sleep', s, payload, new Date(s.bedtime_start), new Date(s.bedtime_stop)),
    ),
  workouts: (payload) =>
    parseWith(workoutSchema, payload, (w) =>
      summary('workouts', w, payload, new Date(w.time_start), new Date(w.time_end)),
    ),
  // Daily summaries span the wearer's calendar day: local midnight to midnight when the offset is
  // known, else Junction's `date` (00:00 UTC of that day).
  activity: (payload) =>
    parseWith(activitySchema, payload, (a) => daily('activity', a, payload, new Date(a.date))),
  body: (payload) => parseWith(bodySchema, payload, (b) => daily('body', b, payload, new Date(b.date))),
  heartrate: (payload) =>
    parseWith(heartRateSampleSchema, payload, (sample) => {
      const at = new Date(sample.timestamp);
      const tzOffset = offsetFromSeconds(sample.timezone_offset);
      const source = sourceName(sample.source);
      return {
        kind: 'heartrate',
        // A sample has no id of its own: one reading per source and instant.
        sourceId: contentKey([source, at.toISOString()]),
        startAt: at,
        endAt: at,
        tzOffset,
        localDay: tzOffset === null ? null : localDayAt(at, tzOffset),
        providerUpdatedAt: null,
        payload,
        source,
      };
    }),
};

interface SummaryFields {
  id: string;
  calendar_date: string;
  timezone_offset?: number | null;
  updated_at: string;
  source: { provider?: string; slug?: string };
}

function summary(
  kind: JunctionKind,
  doc: SummaryFields,
  payload: Record<string, unknown>,
  startAt: Date,
  endAt: Date,
): JunctionRecord {
  return {
    kind,
    sourceId: doc.id,
    startAt,
    endAt,
    tzOffset: offsetFromSeconds(doc.timezone_offset),
    localDay: doc.calendar_date,
    providerUpdatedAt: new Date(doc.updated_at),
    payload,
    source: sourceName(doc.source),
  };
}

function daily(
  kind: JunctionKind,
  doc: SummaryFields,
  payload: Record<string, unknown>,
  utcMidnight: Date,
): JunctionRecord {
  const offsetSeconds = doc.timezone_offset ?? null;
  const start =
    offsetSeconds === null
      ? utcMidnight
      : new Date(Date.parse(`${doc.calendar_date}T00:00:00Z`) - offsetSeconds * 1000);
  return summary(kind, doc, payload, start, new Date(start.getTime() + DAY_MS));
}

function parseWith<S extends z.ZodType>(
  schema: S,
  payload: Record<string, unknown>,
  map: (value: z.output<S>) => JunctionRecord,
): JunctionRecord | { reason: string } {
  const parsed = schema.safeParse(payload);
  return parsed.success ? map(parsed.data) : { reason: describeIssues(parsed.error) };
}

function sourceName(source: { provider?: string; slug?: string }): string | null {
  return source.provider || source.slug || null;
}

/** Junction's offset in seconds → '+hh:mm' / '-hh:mm' (the form the views parse); null when absent. */
export function offsetFromSeconds(seconds: number | null | undefined): string | null {
  if (seconds === null || seconds === undefined) return null;
  const minutes = Math.round(seconds / 60);
  const abs = Math.abs(minutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${minutes < 0 ? '-' : '+'}${hh}:${mm}`;
}

function localDayAt(instant: Date, offset: string): string {
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  return new Date(instant.getTime() + minutes * 60_000).toISOString().slice(0, 10);
}

/** "bedtime_start: Invalid input…; source.provider: needs a provider…" */
export function describeIssues(error: z.ZodError, max = 5): string {
  const parts = error.issues.slice(0, max).map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path || 'record'}: ${issue.message}`;
  });
  const more = error.issues.length - max;
  return more > 0 ? `${parts.join('; ')}; and ${more} more` : parts.join('; ');
}

/** Best effort, for quarantined documents: the id the document would have been stored under. */
function guessSourceId(kind: JunctionKind, raw: unknown): string | null {
  if (kind === 'heartrate' || typeof raw !== 'object' || raw === null) return null;
  const value = (raw as Record<string, unknown>).id;
  return typeof value === 'string' && value.length > 0 ? value : null;
}
