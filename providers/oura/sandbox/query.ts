// Query parameters as Oura reads them. Day-filtered collections take start_date/end_date as a date
// or a date-time; a date-only end_date EXCLUDES that day (the quirk the client must work around, see
// providers/oura/client.ts ouraDateRange), a date-time end_date includes its date. Heartrate takes
// instants and refuses spans over 30 days. next_token is an opaque keyset cursor.
import { dayNumberOf } from './clock.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const DAY_MS = 86_400_000;

export class QueryError extends Error {}

export interface DayRange {
  firstDay: number;
  lastDay: number;
}

function dayOf(name: string, raw: string): { day: number; dateOnly: boolean } {
  const value = raw.trim();
  if (DATE.test(value)) return { day: dayNumberOf(value), dateOnly: true };
  if (DATE_TIME.test(value) && !Number.isNaN(Date.parse(value.replace(' ', '+')))) {
    // The date as written: Oura reads dates in the user's local time.
    return { day: dayNumberOf(value.slice(0, 10)), dateOnly: false };
  }
  throw new QueryError(`${name} must be a date (YYYY-MM-DD) or a date-time`);
}

/** Days [firstDay, lastDay], both inclusive; defaults end today and start the day before the end. */
export function dayRange(query: URLSearchParams, today: number): DayRange {
  const endRaw = query.get('end_date');
  const startRaw = query.get('start_date');
  let lastDay = today;
  if (endRaw) {
    const end = dayOf('end_date', endRaw);
    lastDay = end.dateOnly ? end.day - 1 : end.day;
  }
  const firstDay = startRaw ? dayOf('start_date', startRaw).day : lastDay - 1;
  if (startRaw && endRaw && firstDay > lastDay + 1)
    throw new QueryError('start_date must not be after end_date');
  return { firstDay, lastDay };
}

/** Instants [start, end) for heartrate; at most 30 days. Defaults: the last day up to now. */
export function instantRange(query: URLSearchParams, nowMs: number): { startMs: number; endMs: number } {
  const parse = (name: string): number | undefined => {
    const raw = query.get(name);
    if (!raw) return undefined;
    const value = raw.trim().replace(' ', '+');
    const ms = DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms)) throw new QueryError(`${name} must be a date-time`);
    return ms;
  };
  const endMs = parse('end_datetime') ?? nowMs;
  const startMs = parse('start_datetime') ?? endMs - DAY_MS;
  if (startMs > endMs) throw new QueryError('start_datetime must not be after end_datetime');
  if (endMs - startMs > 30 * DAY_MS) throw new QueryError('Start and end datetimes must be within 30 days');
  return { startMs, endMs };
}

export function encodeCursor(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

export function decodeCursor(token: string | null): string | undefined {
  if (!token) return undefined;
  const value = Buffer.from(token, 'base64url').toString('utf8');
  if (!value || encodeCursor(value) !== token) throw new QueryError('next_token is not valid');
  return value;
}
