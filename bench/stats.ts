// Small statistics: percentiles, and request rates as a provider's minute window counts them.

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export const median = (values: number[]) => percentile(values, 50);

export const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export interface RateStats {
  requests: number;
  /** First to last request. */
  spanSeconds: number;
  /** Complete 60 s windows from the first request (the span the per-minute rate is measured on). */
  fullMinutes: number;
  /** Mean requests per complete 60 s window anchored at the first request (the provider's window). */
  perMinute: number;
  /** (n - 1) / span: the even-spacing rate over the whole run, tail included. */
  sustainedPerMinute: number;
  /** Most requests in any 60 s window (sliding): the burst a provider's own window could see. */
  peak60s: number;
  /** Requests per 10 s bucket from the first request, for the report's JSON. */
  per10s: number[];
}

/** `times` in ms (any origin), unsorted is fine. */
export function rateStats(times: number[]): RateStats {
  const t = [...times].sort((a, b) => a - b);
  const n = t.length;
  const first = t[0] ?? 0;
  const last = t[n - 1] ?? 0;
  const spanMs = last - first;
  const fullMinutes = Math.floor(spanMs / 60_000);
  const inFull = t.filter((x) => x < first + fullMinutes * 60_000).length;
  let peak = 0;
  for (let i = 0, j = 0; i < n; i++) {
    while ((t[i] as number) - (t[j] as number) >= 60_000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  const per10s: number[] = [];
  for (const x of t) {
    const bucket = Math.floor((x - first) / 10_000);
    while (per10s.length <= bucket) per10s.push(0);
    per10s[bucket] = (per10s[bucket] ?? 0) + 1;
  }
  return {
    requests: n,
    spanSeconds: spanMs / 1000,
    fullMinutes,
    perMinute: fullMinutes > 0 ? inFull / fullMinutes : Number.NaN,
    sustainedPerMinute: spanMs > 0 ? ((n - 1) / spanMs) * 60_000 : Number.NaN,
    peak60s: peak,
    per10s,
  };
}
