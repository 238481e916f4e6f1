// The calendar days a window [start, end) touches, for providers whose collections filter by a
// document's day rather than an instant (descriptor.dayFilteredKinds). The UTC dates of the window's instants, end exclusive:
// [2024-03-01T00:00Z, 2024-03-31T00:00Z) → 2024-03-01 … 2024-03-30, endDay 2024-03-31. Windows that
// meet at a UTC midnight split the days exactly between them. Pure: the client asks for these days,
// and the window's soft-deletes cover the same ones.
const DAY_MS = 86_400_000;

export interface DayRange {
  /** First day, inclusive (YYYY-MM-DD). */
  startDay: string;
  /** The day after the last one: exclusive. */
  endDay: string;
}

export function windowDays(start: Date, end: Date): DayRange {
  if (!(end.getTime() > start.getTime())) throw new RangeError('a window must end after it starts');
  const first = Math.floor(start.getTime() / DAY_MS);
  const last = Math.floor((end.getTime() - 1) / DAY_MS);
  return { startDay: isoDay(first), endDay: isoDay(last + 1) };
}

function isoDay(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}
