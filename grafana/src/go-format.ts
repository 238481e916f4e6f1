// Go formatting and parsing that Grafana's Postgres macros rely on, reproduced byte for byte so
// that expanded SQL matches what Grafana's backend (Go) sends: fmt's %v for float64, time's
// RFC3339Nano, time.ParseDuration, and grafana-plugin-sdk-go's gtime.ParseInterval.

/** Returns "now" for calendar intervals ('1M', '1y'), which Grafana measures from the wall clock. */
export type IntervalClock = () => Date;

/**
 * fmt.Sprintf("%v", float64), as macros.go writes interval seconds: %g with the shortest digits,
 * which switches to exponent form when the exponent is < -4 or >= 6 (checked against Go:
 * 86400 -> "86400", 604800 -> "604800", 2592000 -> "2.592e+06", 0.00001 -> "1e-05").
 */
export function goFloat(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
  if (value === 0) return '0';
  const [mantissa = '0', exp = '0'] = value.toExponential().split('e');
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(value);
}

/** time.RFC3339Nano in UTC: fractional seconds without trailing zeros, none when whole. */
export function rfc3339Nano(date: Date): string {
  const iso = date.toISOString();
  const [whole, fraction = ''] = iso.slice(0, -1).split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `${whole}${trimmed ? `.${trimmed}` : ''}Z`;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** time.ParseDuration, in milliseconds: "300ms", "1.5h", "2h45m", "-1m", "0". */
export function parseGoDuration(input: string): number {
  let rest = input;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`time: invalid duration "${input}"`);
  let total = 0;
  const part = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest.length > 0) {
    const match = part.exec(rest);
    if (!match || match[1] === '' || match[1] === '.') throw new Error(`time: invalid duration "${input}"`);
    total += Number(match[1]) * (DURATION_UNITS[match[2] as string] as number);
    rest = rest.slice(match[0].length);
  }
  return sign * total;
}

/**
 * gtime.ParseInterval, in milliseconds: Go durations, plus d/w/M/y measured on the UTC calendar
 * from now (so '1d' is always 24 h, '1M' depends on the month).
 */
export function parseGrafanaInterval(input: string, clock: IntervalClock = () => new Date()): number {
  if (input === '') throw new Error('empty input');
  const match = /^(\d+)([dwMy])$/.exec(input);
  if (!match) return parseGoDuration(input);
  const n = Number(match[1]);
  const now = clock();
  const y = now.getUTCFullYear();
  const mo = now.getUTCMonth();
  const d = now.getUTCDate();
  const time = now.getTime() - Date.UTC(y, mo, d);
  // Go's AddDate normalises overflow (Jan 31 + 1 month = Mar 3), as Date.UTC does.
  const later = (years: number, months: number, days: number) =>
    Date.UTC(y + years, mo + months, d + days) + time;
  switch (match[2]) {
    case 'd':
      return later(0, 0, n) - now.getTime();
    case 'w':
      return later(0, 0, n * 7) - now.getTime();
    case 'M':
      return later(0, n, 0) - now.getTime();
    default:
      return later(n, 0, 0) - now.getTime();
  }
}
