// How the sandbox reads start_date/end_date, per the spec (written independently of the client's
// conversion, so a test catches either side being wrong): a date-only start is 00:00:00, a date-only
// end is 23:59:59, and both bounds are inclusive.

export interface InclusiveRange {
  fromMs: number;
  toMs: number;
}

export function readRange(params: URLSearchParams, nowMs: number): InclusiveRange | { error: string } {
  const start = params.get('start_date');
  if (!start) return { error: 'start_date: field required' };
  const fromMs = parseBound(start, 'T00:00:00Z');
  if (fromMs === undefined) return { error: 'start_date: expected YYYY-MM-DD or an ISO date-time' };
  const end = params.get('end_date');
  const toMs = end ? parseBound(end, 'T23:59:59Z') : nowMs;
  if (toMs === undefined) return { error: 'end_date: expected YYYY-MM-DD or an ISO date-time' };
  return { fromMs, toMs };
}

function parseBound(value: string, timeOfDay: string): number | undefined {
  let text = value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) text = `${value}${timeOfDay}`;
  else if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})?$/.test(value)) return undefined;
  else if (!/(Z|[+-]\d{2}:\d{2})$/.test(value)) text = `${value}Z`;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Calendar days (YYYY-MM-DD) whose midnight UTC lies in the range. */
export function daysIn(range: InclusiveRange): string[] {
  const days: string[] = [];
  const DAY_MS = 86_400_000;
  for (let at = Math.ceil(range.fromMs / DAY_MS) * DAY_MS; at <= range.toMs; at += DAY_MS) {
    days.push(new Date(at).toISOString().slice(0, 10));
  }
  return days;
}

export function encodeCursor(offset: number, range: InclusiveRange): string {
  return Buffer.from(JSON.stringify({ o: offset, f: range.fromMs, t: range.toMs })).toString('base64url');
}

/** The offset a cursor points at; undefined when it is not one of ours for this range. */
export function decodeCursor(cursor: string, range: InclusiveRange): number | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (value.f !== range.fromMs || value.t !== range.toMs) return undefined;
    return typeof value.o === 'number' && Number.isInteger(value.o) && value.o >= 0 ? value.o : undefined;
  } catch {
    return undefined;
  }
}
