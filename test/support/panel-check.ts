// Checks shared by the panel tests: what Grafana demands of a time-series result, and panel
// relative-time overrides ("90d") in milliseconds.

const DAY = 86_400_000;

/** Dashboards whose panels read every provider (checked on multi-provider data). */
export const CROSS_PROVIDER_DASHBOARDS = ['Overview', 'Compare sources'];

export function checkSeries(rows: Record<string, unknown>[], columns: string[], sql: string): void {
  if (!columns.includes('time')) throw new Error(`time series without a "time" column (${columns}):\n${sql}`);
  const values = columns.filter((c) => c !== 'time' && c !== 'metric');
  if (values.length === 0) throw new Error(`time series without a value column:\n${sql}`);
  let previous = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    const time = epochMs(row.time);
    if (time === null) throw new Error(`null or non-time value in "time" (${String(row.time)}):\n${sql}`);
    if (time < previous)
      throw new Error(`"time" is not sorted ascending (${time} after ${previous}):\n${sql}`);
    previous = time;
  }
}

/** Grafana accepts native timestamps and epoch numbers (seconds or ms) as time. */
export function epochMs(value: unknown): number | null {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))) {
    const n = Number(value);
    return Math.abs(n) < 1e11 ? n * 1000 : n;
  }
  return null;
}

export function durationMs(text: string): number {
  const match = /^(\d+)([hdw])$/.exec(text);
  if (!match) throw new Error(`unsupported relative time ${text}`);
  return Number(match[1]) * { h: DAY / 24, d: DAY, w: 7 * DAY }[match[2] as 'h' | 'd' | 'w'];
}
