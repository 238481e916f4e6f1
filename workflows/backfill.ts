// `backfill`: fetch [from, to] for some kinds of one user's provider data, window by window.
// Windows already covered (final) are skipped; several windows run at once; the history is kept
// short by continuing as new; the `progress` query and the current details show how far it is.
// A request for another range while it runs (`addRange`, or the CLI's signal-with-start) is merged
// in: its windows are planned, minus what this backfill planned already, and fetched in the same run.
import { continueAsNew, defineQuery, defineSignal, setHandler, workflowInfo } from '@temporalio/workflow';
import type { WindowSpec } from '../activities/types.ts';
import {
  addResult,
  type BackfillProgress,
  type BackfillResult,
  newProgress,
  type RangeRecord,
  showDetails,
} from './backfill-progress.ts';
import { type BackfillInput, InvalidInputError, type ParsedRange, parseBackfillInput } from './inputs.ts';
import { isPlanned, type PlannedSpans, unplannedWindows, withPlanned } from './ranges.ts';
import {
  checkConnection,
  logFailure,
  parseOrFail,
  planBackfill,
  syncWindow,
  tagWorkflow,
  workflowLog,
} from './shared.ts';

export type { BackfillProgress, BackfillResult };

/** A further range for a running backfill: dates or instants as in its input; kinds default to all. */
export interface AddRangeInput {
  from: string;
  to: string;
  kinds?: string[];
}

/** Carried across continue-as-new; absent on the first run. */
export interface BackfillCarry {
  remaining: WindowSpec[];
  progress: BackfillProgress;
  /** Ranges asked for and not planned yet. */
  pending?: AddRangeInput[];
  planned?: PlannedSpans;
}

export interface BackfillOptions {
  /** Windows fetched at once. */
  parallelism?: number;
  /** Continue as new after this many windows even if the server does not suggest it yet. */
  windowsPerRun?: number;
  /** How soon a window whose worker died is retried elsewhere (default 60 s). */
  heartbeatTimeoutSeconds?: number;
}

/** Backfill-shaped fetches: a plain backfill, or a read-API fetch (workflows/read-fetch.ts). */
export type BackfillPurpose = 'backfill' | 'read';

export type BackfillWorkflowInput = BackfillInput & { options?: BackfillOptions; purpose?: BackfillPurpose };

export const progressQuery = defineQuery<BackfillProgress>('progress');
export const addRangeSignal = defineSignal<[AddRangeInput]>('addRange');

const DEFAULTS = { parallelism: 4, windowsPerRun: 200, heartbeatTimeoutSeconds: 60 };

export function backfill(input: BackfillWorkflowInput, carry?: BackfillCarry): Promise<BackfillResult> {
  return logFailure(() => run(input, carry));
}

async function run(input: BackfillWorkflowInput, carry?: BackfillCarry): Promise<BackfillResult> {
  const range = parseOrFail(() => parseBackfillInput(input));
  const { userId, provider } = range;
  tagWorkflow(userId, provider);
  const log = workflowLog(userId, provider);
  const options = { ...DEFAULTS, ...input.options };
  const purpose: BackfillPurpose = input.purpose === 'read' ? 'read' : 'backfill';

  const remaining: WindowSpec[] = carry?.remaining ?? [];
  const pending: AddRangeInput[] = carry?.pending ?? [
    { from: input.from, to: input.to, ...(input.kinds ? { kinds: input.kinds } : {}) },
  ];
  let planned: PlannedSpans = carry?.planned ?? {};
  const progress = carry?.progress ?? newProgress(userId, provider);
  progress.running = [];
  progress.ranges ??= [];
  // Answer `progress` from the first task on, also while the windows are being planned.
  setHandler(progressQuery, () => progress);
  let wake: (() => void) | undefined;
  setHandler(addRangeSignal, (added) => {
    // Signal-with-start on a backfill that was not running repeats its input as the signal.
    if (pending.some((p) => sameRequest(p, added))) return;
    pending.push(added);
    wake?.();
  });

  if (carry) {
    log.info('backfill continued as new', {
      windowsDone: progress.windowsDone,
      windowsTotal: progress.windowsTotal,
      remaining: remaining.length,
      pending: pending.length,
    });
  } else {
    log.info('backfill started', {
      kinds: range.kinds,
      from: range.start.toISOString(),
      to: range.end.toISOString(),
    });
    showDetails(progress);
    await checkConnection({ userId, provider });
  }

  /** Plans every pending range: windows not yet covered nor planned by this backfill. */
  async function planPending(): Promise<void> {
    while (pending.length > 0) {
      const request = pending[0] as AddRangeInput;
      const record: RangeRecord = {
        from: String(request.from),
        to: String(request.to),
        kinds: request.kinds ?? [],
      };
      progress.ranges.push(record);
      let parsed: ParsedRange;
      try {
        parsed = parseBackfillInput({ ...request, userId, provider });
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        // A signal cannot fail its sender: the rejection is logged and shown in the progress.
        record.rejected = error.message;
        log.warn('range rejected', { from: request.from, to: request.to, reason: error.message });
        pending.shift();
        continue;
      }
      record.kinds = parsed.kinds;
      const span = { start: parsed.start.getTime(), end: parsed.end.getTime() };
      let windows: WindowSpec[] = [];
      if (!isPlanned(planned, parsed.kinds, span)) {
        progress.phase = 'planning';
        showDetails(progress);
        const found = await planBackfill({
          userId,
          provider,
          kinds: parsed.kinds,
          start: parsed.start.toISOString(),
          end: parsed.end.toISOString(),
        });
        windows = unplannedWindows(found, planned);
      }
      planned = withPlanned(planned, parsed.kinds, span);
      remaining.push(...windows);
      record.windows = windows.length;
      progress.windowsTotal += windows.length;
      pending.shift();
      log.info('windows planned', {
        from: request.from,
        to: request.to,
        windows: windows.length,
        byKind: countByKind(windows),
      });
    }
    progress.phase = 'fetching';
    showDetails(progress);
  }

  let startedThisRun = 0;
  const shouldContinueAsNew = () =>
    (remaining.length > 0 || pending.length > 0) &&
    (startedThisRun >= options.windowsPerRun || workflowInfo().continueAsNewSuggested);

  const inFlight = new Set<Promise<void>>();
  for (;;) {
    if (!shouldContinueAsNew()) await planPending();
    while (inFlight.size < options.parallelism && remaining.length > 0 && !shouldContinueAsNew()) {
      const window = remaining.shift() as WindowSpec;
      startedThisRun++;
      const label = `${userId} ${window.kind} ${window.start.slice(0, 10)}→${window.end.slice(0, 10)}`;
      progress.running.push(label);
      const task = runWindow(range, window, label, options.heartbeatTimeoutSeconds, purpose).then(
        (result) => {
          progress.running = progress.running.filter((l) => l !== label);
          progress.windowsDone++;
          addResult(progress, result);
          showDetails(progress);
          inFlight.delete(task);
        },
      );
      inFlight.add(task);
    }
    if (inFlight.size === 0 && (pending.length === 0 || shouldContinueAsNew())) break;
    // A finished window or a new range, whichever comes first.
    await Promise.race([...inFlight, new Promise<void>((resolve) => (wake = resolve))]);
    wake = undefined;
  }

  if (remaining.length > 0 || pending.length > 0) {
    progress.continuedAsNew++;
    // The history is getting long (or windowsPerRun is reached): a new run takes the rest.
    log.info('continuing as new', {
      windowsDone: progress.windowsDone,
      windowsTotal: progress.windowsTotal,
      remaining: remaining.length,
      pending: pending.length,
    });
    await continueAsNew<typeof backfill>(input, { remaining, progress, pending, planned });
  }
  progress.phase = 'done';
  showDetails(progress);
  const { running: _running, phase: _phase, ...result } = progress;
  log.info('backfill done', {
    windowsDone: result.windowsDone,
    windowsTotal: result.windowsTotal,
    apiCalls: result.apiCalls,
    continuedAsNew: result.continuedAsNew,
  });
  return result;
}

function sameRequest(a: AddRangeInput, b: AddRangeInput): boolean {
  const kinds = (r: AddRangeInput) => (Array.isArray(r.kinds) ? [...r.kinds].sort().join(',') : '*');
  return a.from === b.from && a.to === b.to && kinds(a) === kinds(b);
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
  purpose: BackfillPurpose,
) {
  // The summary labels the activity in the Temporal UI's timeline: whose data, which kind and window.
  return syncWindow.executeWithOptions({ summary: label, heartbeatTimeout: `${heartbeatTimeoutSeconds}s` }, [
    { userId: range.userId, provider: range.provider, window, purpose },
  ]);
}
