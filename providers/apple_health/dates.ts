// Apple Health export dates: "2024-03-04 07:39:00 +0100" — the wall clock where the sample was
// taken and its offset. The instant is exact; the local day is the date as written (docs/apple-health.md).

export interface AppleDate {
  instant: Date;
  /** '+01:00' / '-05:00', the form the records table keeps. */
  tzOffset: string;
  /** YYYY-MM-DD as written: the wearer's local day. */
  localDay: string;
}

const PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/** Null when the text is not a valid date of that form (then the record is quarantined). */
export function parseAppleDate(text: string | undefined): AppleDate | null {
  if (text === undefined) return null;
  const m = PATTERN.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second, oh, om] = [
    m[1],
    m[2],
    m[3],
    m[4],
    m[5],
    m[6],
    m[8],
    m[9],
  ].map(Number) as number[];
  const local = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
  const check = new Date(local);
  // Date.UTC rolls 2023-02-30 over to March: a date that does not round-trip is invalid.
  if (
    check.getUTCDate() !== day ||
    check.getUTCMonth() !== (month as number) - 1 ||
    (hour as number) > 23 ||
    (minute as number) > 59 ||
    (second as number) > 59 ||
    (om as number) > 59
  ) {
    return null;
  }
  const sign = m[7] === '-' ? -1 : 1;
  const offsetMinutes = sign * ((oh as number) * 60 + (om as number));
  return {
    instant: new Date(local - offsetMinutes * 60_000),
    tzOffset: `${m[7]}${m[8]}:${m[9]}`,
    localDay: `${m[1]}-${m[2]}-${m[3]}`,
  };
}

/** A strict decimal number ("81,2", "", "abc", "NaN" are not). */
export function parseNumber(text: string | undefined): number | null {
  if (text === undefined || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}
