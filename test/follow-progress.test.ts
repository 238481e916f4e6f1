// The `backfill --follow` line for each state a backfill reports: planning, fetching with an ETA at
// the request budget, and a range with nothing to fetch.
import { describe, expect, it } from 'vitest';
import { emptyCounts } from '../activities/counts.ts';
import { etaSeconds, formatDuration, progressLine } from '../cli/follow.ts';
import type { BackfillProgress } from '../workflows/backfill.ts';

const progress = (over: Partial<BackfillProgress>): BackfillProgress => ({
  userId: 'ann',
  provider: 'whoop',
  phase: 'fetching',
  windowsTotal: 0,
  windowsDone: 0,
  running: [],
  byKind: {},
  apiCalls: 0,
  continuedAsNew: 0,
  ranges: [{ from: '2024-01-01', to: '2024-03-31', kinds: ['sleep'] }],
  ...over,
});

describe('progressLine', () => {
  it('says planning… before the windows are known, never a full bar at 0/0', () => {
    expect(progressLine(progress({ phase: 'planning' }))).toBe('planning…');
  });

  it('says already covered when the plan found nothing to fetch', () => {
    const line = progressLine(
      progress({
        phase: 'done',
        ranges: [{ from: '2024-01-01', to: '2024-03-31', kinds: ['sleep'], windows: 0 }],
      }),
    );
    expect(line).toBe('already covered: nothing to fetch (2024-01-01 → 2024-03-31)');
  });

  it('draws the bar and an ETA at the budget from the calls a window took so far', () => {
    const line = progressLine(
      progress({
        windowsTotal: 40,
        windowsDone: 10,
        apiCalls: 30,
        byKind: { sleep: { ...emptyCounts(), inserted: 250 } },
      }),
      20,
      60,
    );
    // 30 windows to go × 3 calls each at 60/min: 90 s.
    expect(line).toBe(
      '[#####---------------] 10/40 windows · 250 records · 30 API calls · ETA 2 min at 60/min',
    );
  });

  it('estimates one call per window before any finished, and nothing without a budget', () => {
    expect(etaSeconds(progress({ windowsTotal: 12 }), 6)).toBe(120);
    expect(etaSeconds(progress({ windowsTotal: 12 }), undefined)).toBeUndefined();
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(3 * 3600 + 20 * 60)).toBe('3 h 20 min');
  });
});
