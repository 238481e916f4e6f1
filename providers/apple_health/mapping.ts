// Pure mapping of the export's top-level elements to records (docs/apple-health.md):
//   Record → kind `record` (quantity: numeric value + unit; category: the value label),
//   Correlation → `correlation` (its children are also mapped as records: the same content key as
//     their top-level copies, so each is stored once), Workout → `workout`, ActivitySummary →
//   `activity_summary`, Me → `me`, anything else → its element name in snake_case, kept whole.
// Keys are content keys (providers/content-key.ts); dates keep their offset; a record whose date or
// value does not parse is quarantined with the reason.
import { contentKey } from '../content-key.ts';
import type { MappedRecord, QuarantinedRecord } from '../types.ts';
import { type AppleDate, parseAppleDate, parseNumber } from './dates.ts';
import { sampleKey } from './sample-key.ts';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
}

/** A mapped record plus the device/app that measured it (records.source). */
export type AppleRecord = MappedRecord & { source: string | null };

export interface MappedElement {
  records: AppleRecord[];
  quarantined: QuarantinedRecord[];
  /** Route files a workout references (paths inside the zip), to attach by the importer. */
  routes: { workoutSourceId: string; path: string; startAt: Date; tzOffset: string; localDay: string }[];
}

class BadElement extends Error {}

function requireDate(el: XmlElement, name: string): AppleDate {
  const parsed = parseAppleDate(el.attrs[name]);
  if (!parsed) throw new BadElement(`unparseable ${name} ${JSON.stringify(el.attrs[name] ?? null)}`);
  return parsed;
}

function metadata(el: XmlElement): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const c of el.children) {
    if (c.name === 'MetadataEntry' && c.attrs.key !== undefined) {
      out ??= {};
      out[c.attrs.key] = c.attrs.value ?? '';
    }
  }
  return out;
}

/** Children other than the ones a mapper understood, kept as {name, attrs, children}. */
function otherChildren(el: XmlElement, known: Set<string>): XmlElement[] | undefined {
  const rest = el.children.filter((c) => !known.has(c.name));
  return rest.length ? rest : undefined;
}

const QUANTITY = 'HKQuantityTypeIdentifier';

function mapRecord(el: XmlElement): AppleRecord {
  const { type, sourceName, unit, value } = el.attrs;
  if (!type) throw new BadElement('Record without a type');
  const start = requireDate(el, 'startDate');
  const end = requireDate(el, 'endDate');
  // A quantity (or anything with a unit) must carry a number; a category keeps its label.
  let stored: number | string | undefined = value;
  if (type.startsWith(QUANTITY) || unit !== undefined) {
    const n = parseNumber(value);
    if (n === null) throw new BadElement(`unparseable value ${JSON.stringify(value ?? null)}`);
    stored = n;
  }
  const payload: Record<string, unknown> = { ...el.attrs, value: stored };
  const meta = metadata(el);
  if (meta) payload.metadata = meta;
  const hrv = el.children.find((c) => c.name === 'HeartRateVariabilityMetadataList');
  if (hrv) {
    payload.beats = hrv.children
      .filter((b) => b.name === 'InstantaneousBeatsPerMinute')
      .map((b) => ({ bpm: parseNumber(b.attrs.bpm) ?? b.attrs.bpm, time: b.attrs.time }));
  }
  const rest = otherChildren(el, new Set(['MetadataEntry', 'HeartRateVariabilityMetadataList']));
  if (rest) payload.children = rest;
  return {
    kind: 'record',
    sourceId: sampleKey({
      type,
      sourceName: sourceName ?? null,
      unit: unit ?? null,
      value: value ?? null,
      start: start.instant,
      end: end.instant,
    }),
    startAt: start.instant,
    endAt: end.instant,
    tzOffset: start.tzOffset,
    localDay: start.localDay,
    providerUpdatedAt: parseAppleDate(el.attrs.creationDate)?.instant ?? null,
    payload,
    source: sourceName ?? null,
  };
}

function mapCorrelation(el: XmlElement, out: MappedElement): AppleRecord {
  const { type, sourceName } = el.attrs;
  if (!type) throw new BadElement('Correlation without a type');
  const start = requireDate(el, 'startDate');
  const end = requireDate(el, 'endDate');
  const records = el.children.filter((c) => c.name === 'Record').map(mapRecord);
  out.records.push(...records);
  const payload: Record<string, unknown> = {
    ...el.attrs,
    records: records.map((r) => ({
      source_id: r.sourceId,
      type: r.payload.type,
      value: r.payload.value,
      unit: r.payload.unit,
    })),
  };
  const meta = metadata(el);
  if (meta) payload.metadata = meta;
  return {
    kind: 'correlation',
    sourceId: contentKey([
      'correlation',
      type,
      sourceName ?? null,
      start.instant.getTime(),
      end.instant.getTime(),
    ]),
    startAt: start.instant,
    endAt: end.instant,
    tzOffset: start.tzOffset,
    localDay: start.localDay,
    providerUpdatedAt: parseAppleDate(el.attrs.creationDate)?.instant ?? null,
    payload,
    source: sourceName ?? null,
  };
}

function numericAttrs(attrs: Record<string, string>, keep: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) out[k] = keep.has(k) ? v : (parseNumber(v) ?? v);
  return out;
}

const STAT_TEXT = new Set(['type', 'startDate', 'endDate', 'unit']);

function mapWorkout(el: XmlElement, out: MappedElement): AppleRecord {
  const { workoutActivityType, sourceName } = el.attrs;
  if (!workoutActivityType) throw new BadElement('Workout without a workoutActivityType');
  const start = requireDate(el, 'startDate');
  const end = requireDate(el, 'endDate');
  const sourceId = contentKey([
    'workout',
    workoutActivityType,
    sourceName ?? null,
    start.instant.getTime(),
    end.instant.getTime(),
  ]);
  const payload: Record<string, unknown> = numericAttrs(
    el.attrs,
    new Set([
      'workoutActivityType',
      'sourceName',
      'sourceVersion',
      'device',
      'creationDate',
      'startDate',
      'endDate',
    ]),
  );
  const meta = metadata(el);
  if (meta) payload.metadata = meta;
  const events = el.children.filter((c) => c.name === 'WorkoutEvent');
  if (events.length) payload.events = events.map((e) => ({ ...e.attrs, metadata: metadata(e) }));
  // Modern exports keep totals in WorkoutStatistics (one per quantity type), not in totalDistance.
  const stats = el.children.filter((c) => c.name === 'WorkoutStatistics');
  if (stats.length) {
    payload.statistics = Object.fromEntries(
      stats.map((s) => [s.attrs.type ?? 'unknown', numericAttrs(s.attrs, STAT_TEXT)]),
    );
  }
  const routes = el.children.filter((c) => c.name === 'WorkoutRoute');
  if (routes.length) {
    payload.routes = routes.map((r) => {
      const file = r.children.find((c) => c.name === 'FileReference')?.attrs.path;
      if (file) {
        out.routes.push({
          workoutSourceId: sourceId,
          path: file,
          startAt: start.instant,
          tzOffset: start.tzOffset,
          localDay: start.localDay,
        });
      }
      return { ...r.attrs, metadata: metadata(r), file };
    });
  }
  const rest = otherChildren(
    el,
    new Set(['MetadataEntry', 'WorkoutEvent', 'WorkoutStatistics', 'WorkoutRoute']),
  );
  if (rest) payload.children = rest;
  return {
    kind: 'workout',
    sourceId,
    startAt: start.instant,
    endAt: end.instant,
    tzOffset: start.tzOffset,
    localDay: start.localDay,
    providerUpdatedAt: parseAppleDate(el.attrs.creationDate)?.instant ?? null,
    payload,
    source: sourceName ?? null,
  };
}

function mapActivitySummary(el: XmlElement): AppleRecord {
  const day = el.attrs.dateComponents;
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day))) {
    throw new BadElement(`unparseable dateComponents ${JSON.stringify(day ?? null)}`);
  }
  return {
    kind: 'activity_summary',
    // One summary per day: a newer export updates it (today's rings keep filling).
    sourceId: contentKey(['activity_summary', day]),
    startAt: null,
    endAt: null,
    tzOffset: null,
    localDay: day,
    providerUpdatedAt: null,
    payload: numericAttrs(el.attrs, new Set(['dateComponents', 'activeEnergyBurnedUnit'])),
    source: null,
  };
}

function mapOther(el: XmlElement, kind: string): AppleRecord {
  const start = parseAppleDate(el.attrs.startDate);
  const end = parseAppleDate(el.attrs.endDate);
  const payload: Record<string, unknown> = { element: el.name, ...el.attrs };
  if (el.children.length) payload.children = el.children;
  return {
    kind,
    sourceId: kind === 'me' ? contentKey(['me']) : contentKey([kind, JSON.stringify(payload)]),
    startAt: start?.instant ?? null,
    endAt: end?.instant ?? null,
    tzOffset: start?.tzOffset ?? null,
    localDay: start?.localDay ?? null,
    providerUpdatedAt: null,
    payload,
    source: el.attrs.sourceName ?? null,
  };
}

/** Element name → kind: Record → record, ActivitySummary → activity_summary, VisionPrescription → vision_prescription. */
export function kindOf(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]/g, '_')
    .toLowerCase();
}

/** Maps one top-level element; never throws (a bad element is quarantined with its reason). */
export function mapElement(el: XmlElement): MappedElement {
  const out: MappedElement = { records: [], quarantined: [], routes: [] };
  try {
    switch (el.name) {
      case 'Record':
        out.records.push(mapRecord(el));
        break;
      case 'Correlation':
        out.records.push(mapCorrelation(el, out));
        break;
      case 'Workout':
        out.records.push(mapWorkout(el, out));
        break;
      case 'ActivitySummary':
        out.records.push(mapActivitySummary(el));
        break;
      default:
        out.records.push(mapOther(el, kindOf(el.name)));
    }
  } catch (error) {
    if (!(error instanceof BadElement)) throw error;
    out.records = [];
    out.routes = [];
    out.quarantined.push({ kind: kindOf(el.name), sourceId: null, reason: error.message, payload: el });
  }
  return out;
}
