// `backfill --follow`: a progress line fed by the workflow's `progress` query until it completes.
// It tells the truth from the first frame: "planning…" until the windows are known (no full bar at
// 0/0), "already covered" when there is nothing to fetch, and an ETA at the provider's request budget.
import type { WorkflowHandle } from '@temporalio/client';
import type { BackfillProgress } from '../workflows/backfill.ts';

export interface FollowOptions {
  /** The provider's request budget (its *_REQUESTS_PER_MINUTE): what the ETA is computed at. */
  requestsPerMinute?: number;
  write?: (text: string) => void;
  isTTY?: boolean;
  pollMs?: number;
}

export async function followBackfill(handle: WorkflowHandle, options: FollowOptions = {}): Promise<void> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const tty = options.isTTY ?? Boolean(process.stdout.isTTY);
  const render = (line: string) => write(tty ? `\r\x1b[K${line}` : `${line}\n`);
  let finished = false;
  const result = handle.result().finally(() => {
    finished = true;
  });
  result.catch(() => {});
  // Before the workflow's first task there is no progress to query yet: it is about to plan.
  render('planning…');
  while (!finished) {
    try {
      render(progressLine(await handle.query<BackfillProgress>('progress'), 30, options.requestsPerMinute));
    } catch {
      // The query fails briefly between runs (continue-as-new) or before the first task: keep polling.
    }
    await Promise.race([
      result.catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000)),
    ]);
  }
  const summary = await result;
  // The last state, also when the backfill finished before the first poll.
  render(progressLine(await handle.query<BackfillProgress>('progress'), 30, options.requestsPerMinute));
  if (tty) write('\n');
  write(`${JSON.stringify(summary, null, 2)}\n`);
}

export function progressLine(progress: BackfillProgress, width = 30, requestsPerMinute?: number): string {
  const { windowsDone, windowsTotal } = progress;
  if (progress.phase === 'planning' && windowsTotal === 0) return 'planning…';
  if (windowsTotal === 0 && progress.phase === 'done') {
    return `already covered: nothing to fetch (${describeRanges(progress)})`;
  }
  const ratio = windowsTotal ? windowsDone / windowsTotal : 0;
  const filled = Math.round(ratio * width);
  const stored = Object.values(progress.byKind).reduce(
    (sum, c) => sum + c.inserted + c.updated + c.unchanged,
    0,
  );
  const parts = [
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${windowsDone}/${windowsTotal} windows`,
    `${stored} records`,
    `${progress.apiCalls} API calls`,
  ];
  if (progress.phase === 'planning') parts.push('planning more…');
  const eta = etaSeconds(progress, requestsPerMinute);
  if (eta !== undefined && windowsDone < windowsTotal) {
    parts.push(`ETA ${formatDuration(eta)} at ${requestsPerMinute}/min`);
  }
  return parts.join(' · ');
}

/**
 * Seconds left at the request budget: the windows to go times the API calls a window took so far
 * (one per window before any finished, the least a window costs), spread at `requestsPerMinute`.
 */
export function etaSeconds(progress: BackfillProgress, requestsPerMinute?: number): number | undefined {
  if (!requestsPerMinute || requestsPerMinute <= 0) return undefined;
  const left = progress.windowsTotal - progress.windowsDone;
  const callsPerWindow = progress.windowsDone > 0 ? progress.apiCalls / progress.windowsDone : 1;
  return Math.ceil(((left * callsPerWindow) / requestsPerMinute) * 60);
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function describeRanges(progress: BackfillProgress): string {
  const ranges = progress.ranges ?? [];
  if (!ranges.length) return 'the range is covered';
  return ranges.map((r) => `${r.from.slice(0, 10)} → ${r.to.slice(0, 10)}`).join(', ');
}
