// What a running backfill reports: the `progress` query's answer and the markdown details the
// Temporal UI shows, kept in step. Pure (runs inside the workflow).
import { setCurrentDetails } from '@temporalio/workflow';
import { addCounts, emptyCounts } from '../activities/counts.ts';
import type { RunCounts, WindowResult } from '../activities/types.ts';

/** One range the backfill was asked for (its input or an `addRange` signal), and what came of it. */
export interface RangeRecord {
  from: string;
  to: string;
  kinds: string[];
  /** Windows planned for it: 0 when every part of it was covered or planned already. */
  windows?: number;
  /** Why it was not taken (bad input in a signal, which cannot fail its sender). */
  rejected?: string;
}

export interface BackfillProgress {
  userId: string;
  provider: string;
  /** `planning` until the windows of every requested range are known. */
  phase: 'planning' | 'fetching' | 'done';
  windowsTotal: number;
  windowsDone: number;
  running: string[];
  byKind: Record<string, RunCounts>;
  apiCalls: number;
  continuedAsNew: number;
  ranges: RangeRecord[];
}

export type BackfillResult = Omit<BackfillProgress, 'running' | 'phase'>;

export function newProgress(userId: string, provider: string): BackfillProgress {
  return {
    userId,
    provider,
    phase: 'planning',
    windowsTotal: 0,
    windowsDone: 0,
    running: [],
    byKind: {},
    apiCalls: 0,
    continuedAsNew: 0,
    ranges: [],
  };
}

export function addResult(progress: BackfillProgress, result: WindowResult): void {
  const { kind, ...counts } = result;
  progress.byKind[kind] = addCounts(progress.byKind[kind] ?? emptyCounts(), counts);
  progress.apiCalls += counts.apiCalls;
}

export function storedRecords(progress: Pick<BackfillProgress, 'byKind'>): number {
  return Object.values(progress.byKind).reduce((sum, c) => sum + c.inserted + c.updated + c.unchanged, 0);
}

const rangeLine = (r: RangeRecord) =>
  `- ${r.from.slice(0, 10)} → ${r.to.slice(0, 10)} (${r.kinds.join(', ')}): ${
    r.rejected
      ? `rejected: ${r.rejected}`
      : r.windows === undefined
        ? 'planning…'
        : r.windows === 0
          ? 'already covered'
          : `${r.windows} windows`
  }`;

/** The Temporal UI's "current details" (markdown). */
export function showDetails(progress: BackfillProgress): void {
  const head =
    progress.phase === 'planning' && progress.windowsTotal === 0
      ? `**planning** the windows of ${progress.userId}'s ${progress.provider} data…`
      : `**${progress.windowsDone} / ${progress.windowsTotal} windows** · ${storedRecords(progress)} records · ${progress.apiCalls} API calls`;
  const lines = [
    head,
    '',
    '**ranges**',
    ...progress.ranges.map(rangeLine),
    '',
    ...Object.entries(progress.byKind).map(
      ([kind, c]) =>
        `- ${kind}: ${c.fetched} fetched, ${c.inserted} new, ${c.updated} updated, ${c.quarantined} quarantined`,
    ),
  ];
  if (progress.running.length) lines.push('', `running: ${progress.running.join(', ')}`);
  setCurrentDetails(lines.join('\n'));
}
