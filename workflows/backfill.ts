// `backfill`: fetch [from, to] for some kinds of one user's provider data, window by window.
// Windows already covered (final) are skipped; several windows run at once; the history is kept
// short by continuing as new; the `progress` query and the current details show how far it is.
import {
  continueAsNew,
  defineQuery,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { addCounts, emptyCounts } from '../activities/counts.ts';
import type { RunCounts, WindowResult, WindowSpec } from '../activities/types.ts';
import { type BackfillInput, parseBackfillInput } from './inputs.ts';
import {
  checkConnection,
  logFailure,
  parseOrFail,
  planBackfill,
  syncWindow,
  tagWorkflow,
  workflowLog,
} from './shared.ts';

export interface BackfillProgress {
  userId: string;
  provider: string;
  windowsTotal: number;
  windowsDone: number;
  running: string[];
  byKind: Record<string, RunCounts>;
  apiCalls: number;
  continuedAsNew: number;
}

export type BackfillResult = Omit<BackfillProgress, 'running'>;

/** Carried across continue-as-new; absent on the first run. */
export interface BackfillCarry {
  remaining: WindowSpec[];
  progress: BackfillProgress;
}

export interface BackfillOptions {
  /** Windows fetched at once. */
  parallelism?: number;
  /** Continue as new after this many windows even if the server does not suggest it yet. */
  windowsPerRun?: number;
  /** How soon a window whose worker died is retried elsewhere (default 60 s). */
  heartbeatTimeoutSeconds?: number;
}

export const progressQuery = defineQuery<BackfillProgress>('progress');

const DEFAULTS = { parallelism: 4, windowsPerRun: 200, heartbeatTimeoutSeconds: 60 };

export function backfill(
  input: BackfillInput & { options?: BackfillOptions },
  carry?: BackfillCarry,
): Promise<BackfillResult> {
  return logFailure(() => run(input, carry));
}

async function run(
  input: BackfillInput & { options?: BackfillOptions },
  carry?: BackfillCarry,
): Promise<BackfillResult> {
  const range = parseOrFail(() => parseBackfillInput(input));
  tagWorkflow(range.userId, range.provider);
  const log = workflowLog(range.userId, range.provider);
  const options = { ...DEFAULTS, ...input.options };

  let remaining: WindowSpec[] = carry?.remaining ?? [];
  const progress: BackfillProgress = carry?.progress ?? {
    userId: range.userId,
    provider: range.provider,
    windowsTotal: 0,
    windowsDone: 0,
    running: [],
    byKind: {},
    apiCalls: 0,
    continuedAsNew: 0,
  };
  progress.running = [];
  // Answer `progress` from the first task on, also while the windows are being planned.
  setHandler(progressQuery, () => progress);
  if (carry) {
    log.info('backfill continued as new', {
      windowsDone: progress.windowsDone,
      windowsTotal: progress.windowsTotal,
      remaining: remaining.length,
    });
  } else {
    log.info('backfill started', {
      kinds: range.kinds,
      from: range.start.toISOString(),
      to: range.end.toISOString(),
    });
    await checkConnection({ userId: range.userId, provider: range.provider });
    remaining = await planBackfill({
      userId: range.userId,
      provider: range.provider,
      kinds: range.kinds,
      start: range.start.toISOString(),
      end: range.end.toISOString(),
    });
    progress.windowsTotal = remaining.length;
    log.info('windows planned', { windows: remaining.length, byKind: countByKind(remaining) });
  }
  showDetails(progress);

  let startedThisRun = 0;
  const shouldContinueAsNew = () =>
    remaining.length > 0 &&
    (startedThisRun >= options.windowsPerRun || workflowInfo().continueAsNewSuggested);

  const inFlight = new Set<Promise<void>>();
  while (remaining.length > 0 || inFlight.size > 0) {
    while (inFlight.size < options.parallelism && remaining.length > 0 && !shouldContinueAsNew()) {
      const window = remaining.shift() as WindowSpec;
      startedThisRun++;
      const label = `${window.kind} ${window.start.slice(0, 10)}→${window.end.slice(0, 10)}`;
      progress.running.push(label);
      const task = runWindow(range, window, label, options.heartbeatTimeoutSeconds).then((result) => {
        progress.running = progress.running.filter((l) => l !== label);
        progress.windowsDone++;
        addResult(progress, result);
        showDetails(progress);
        inFlight.delete(task);
      });
      inFlight.add(task);
    }
    if (inFlight.size === 0) break;
    await Promise.race(inFlight);
  }

  if (remaining.length > 0) {
    progress.continuedAsNew++;
    // The history is getting long (or windowsPerRun is reached): a new run takes the rest.
    log.info('continuing as new', {
      windowsDone: progress.windowsDone,
      windowsTotal: progress.windowsTotal,
      remaining: remaining.length,
    });
    await continueAsNew<typeof backfill>(input, { remaining, progress });
  }
  const { running: _running, ...result } = progress;
  log.info('backfill done', {
    windowsDone: result.windowsDone,
    windowsTotal: result.windowsTotal,
    apiCalls: result.apiCalls,
    continuedAsNew: result.continuedAsNew,
  });
  return result;
}

function countByKind(windows: WindowSpec[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const window of windows) counts[window.kind] = (counts[window.kind] ?? 0) + 1;
  return counts;
}

function runWindow(
  range: { userId: string; provider: string },
  window: WindowSpec,
  label: string,
  heartbeatTimeoutSeconds: number,
) {
  // The summary labels the activity in the Temporal UI's timeline.
  return syncWindow.executeWithOptions({ summary: label, heartbeatTimeout: `${heartbeatTimeoutSeconds}s` }, [
    { userId: range.userId, provider: range.provider, window, purpose: 'backfill' },
  ]);
}

function addResult(progress: BackfillProgress, result: WindowResult) {
  const { kind, ...counts } = result;
  progress.byKind[kind] = addCounts(progress.byKind[kind] ?? emptyCounts(), counts);
  progress.apiCalls += counts.apiCalls;
}

function showDetails(progress: BackfillProgress) {
  const stored = Object.values(progress.byKind).reduce(
    (sum, c) => sum + c.inserted + c.updated + c.unchanged,
    0,
  );
  const lines = [
    `**${progress.windowsDone} / ${progress.windowsTotal} windows** · ${stored} records · ${progress.apiCalls} API calls`,
    ...Object.entries(progress.byKind).map(
      ([kind, c]) =>
        `- ${kind}: ${c.fetched} fetched, ${c.inserted} new, ${c.updated} updated, ${c.quarantined} quarantined`,
    ),
  ];
  if (progress.running.length) lines.push(`running: ${progress.running.join(', ')}`);
  setCurrentDetails(lines.join('\n'));
}
