// Apple Health export Records for test/support/multi-source.ts, in the shape the Apple Health
// mapping stores them (the element's attributes with a numeric `value`, `source` = sourceName,
// content-keyed ids), built by hand so the tests' expected figures come from these documents.
import { contentKey } from '../../providers/content-key.ts';
import type { MappedRecord } from '../../providers/types.ts';

const MINUTE = 60_000;

/** One night a device measured, in the wearer's offset. */
export interface Night {
  day: string;
  startAt: Date;
  endAt: Date;
  tzOffset: string;
}

/** An instant as Apple's export writes it: local wall clock with the offset ("2024-03-01 07:10:00 +0900"). */
export function appleDate(instant: Date, offset: string): string {
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number);
  const local = new Date(instant.getTime() + sign * ((h ?? 0) * 60 + (m ?? 0)) * MINUTE);
  return `${local.toISOString().slice(0, 19).replace('T', ' ')} ${offset.replace(':', '')}`;
}

export function localDayOf(instant: Date, offset: string): string {
  return appleDate(instant, offset).slice(0, 10);
}

/** An Apple Health Record as the Apple Health mapping stores it. */
export function appleRecord(
  type: string,
  sourceName: string,
  start: Date,
  end: Date,
  offset: string,
  value: number | string,
  unit?: string,
): MappedRecord {
  const attrs: Record<string, unknown> = {
    type,
    sourceName,
    ...(unit ? { unit } : {}),
    startDate: appleDate(start, offset),
    endDate: appleDate(end, offset),
    creationDate: appleDate(end, offset),
    value,
  };
  return {
    kind: 'record',
    sourceId: contentKey([
      'record',
      type,
      sourceName,
      unit ?? null,
      String(value),
      start.getTime(),
      end.getTime(),
    ]),
    startAt: start,
    endAt: end,
    tzOffset: offset,
    localDay: localDayOf(start, offset),
    providerUpdatedAt: end,
    payload: attrs,
    source: sourceName,
  };
}

/** A night's sleep stages as an Apple device writes them: in bed, then core/deep/REM/awake intervals. */
export function appleNight(
  sourceName: string,
  night: Night,
  shiftMin: number,
): { records: MappedRecord[]; asleepMin: number } {
  const start = new Date(night.startAt.getTime() + shiftMin * MINUTE);
  const end = new Date(night.endAt.getTime() + shiftMin * MINUTE);
  const total = (end.getTime() - start.getTime()) / MINUTE;
  const stages: [string, number][] = [
    ['AsleepCore', 0.3],
    ['AsleepDeep', 0.2],
    ['Awake', 0.05],
    ['AsleepREM', 0.25],
    ['AsleepCore', 0.2],
  ];
  const records = [
    appleRecord(
      'HKCategoryTypeIdentifierSleepAnalysis',
      sourceName,
      start,
      end,
      night.tzOffset,
      'HKCategoryValueSleepAnalysisInBed',
    ),
  ];
  let at = start.getTime();
  let asleepMin = 0;
  for (const [stage, share] of stages) {
    const minutes = Math.round(total * share);
    const next = at + minutes * MINUTE;
    records.push(
      appleRecord(
        'HKCategoryTypeIdentifierSleepAnalysis',
        sourceName,
        new Date(at),
        new Date(next),
        night.tzOffset,
        `HKCategoryValueSleepAnalysis${stage}`,
      ),
    );
    if (stage.startsWith('Asleep')) asleepMin += minutes;
    at = next;
  }
  return { records, asleepMin };
}
