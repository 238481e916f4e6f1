// Our windows are [start, end) instants; Junction's start_date/end_date are an INCLUSIVE range, and a
// date-only end means 23:59:59 of that day (a date-only start means 00:00:00). The conversion is
// exact both ways: day-aligned windows become whole dates (the form the API documents), others
// become instants with the end pulled back by one millisecond.

const DAY_MS = 86_400_000;

export interface JunctionDateRange {
  start_date: string;
  end_date: string;
}

export function toJunctionRange(start: Date, end: Date): JunctionDateRange {
  if (!(end.getTime() > start.getTime())) {
    throw new RangeError(`empty window: end ${end.toISOString()} is not after start ${start.toISOString()}`);
  }
  if (isUtcMidnight(start) && isUtcMidnight(end)) {
    // [2024-01-01, 2024-01-31) = 2024-01-01 00:00:00 through 2024-01-30 23:59:59(.999).
    return { start_date: isoDate(start), end_date: isoDate(new Date(end.getTime() - DAY_MS)) };
  }
  return { start_date: start.toISOString(), end_date: new Date(end.getTime() - 1).toISOString() };
}

export function isUtcMidnight(at: Date): boolean {
  return at.getTime() % DAY_MS === 0;
}

export function isoDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** A window widened by whole days on both sides (client-side filtering trims it back). */
export function padWindow(start: Date, end: Date, days: number): { start: Date; end: Date } {
  return { start: new Date(start.getTime() - days * DAY_MS), end: new Date(end.getTime() + days * DAY_MS) };
}
