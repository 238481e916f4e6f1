// `incrementalSync`: per kind, re-fetch from the watermark minus the rescore lookback up to now,
// so rescored, new and deleted records all show. Run by the connection's Schedule
// (`sync:<provider>:<userId>`) and startable by hand.
import { setCurrentDetails } from '@temporalio/workflow';
import { addCounts, emptyCounts, type RunCounts } from '../activities/counts.ts';
import { parseSyncInput, type SyncInput } from './inputs.ts';
import { logFailure, parseOrFail, planIncremental, syncWindow, tagWorkflow, workflowLog } from './shared.ts';

export interface IncrementalSyncResult {
  userId: string;
  provider: string;
  windows: number;
  byKind: Record<string, RunCounts>;
}

export function incrementalSync(input: SyncInput): Promise<IncrementalSyncResult> {
  return logFailure(() => sync(input));
}

async function sync(input: SyncInput): Promise<IncrementalSyncResult> {
  const { userId, provider } = parseOrFail(() => parseSyncInput(input));
  tagWorkflow(userId, provider);
  const log = workflowLog(userId, provider);
  log.info('sync started');
  setCurrentDetails(`**planning** the incremental ${provider} sync of ${userId}…`);
  const windows = await planIncremental({ userId, provider });
  log.info('windows planned', { windows: windows.length });
  const byKind: Record<string, RunCounts> = {};
  // Kinds in the provider's order (cycles before recoveries); windows of one kind oldest first.
  for (const [done, window] of windows.entries()) {
    // The activity's summary in the UI's timeline: whose data, which kind and window.
    const label = `${userId} ${window.kind} ${window.start.slice(0, 16)}→${window.end.slice(0, 16)}`;
    setCurrentDetails(`**syncing** ${label} (${done} of ${windows.length} windows done)`);
    const { kind, ...counts } = await syncWindow.executeWithOptions({ summary: label }, [
      { userId, provider, window, purpose: 'incremental' },
    ]);
    byKind[kind] = addCounts(byKind[kind] ?? emptyCounts(), counts);
  }
  setCurrentDetails(
    [
      `**done**: ${windows.length} windows of ${userId}'s ${provider} data`,
      '',
      ...Object.entries(summarize(byKind)).map(
        ([kind, c]) =>
          `- ${kind}: ${c.inserted} new, ${c.updated} updated, ${c.deleted} deleted, ${c.quarantined} quarantined`,
      ),
    ].join('\n'),
  );
  log.info('sync done', { windows: windows.length, byKind: summarize(byKind) });
  return { userId, provider, windows: windows.length, byKind };
}

/** Per kind, what changed (the counts an operator looks for; the full set is the result). */
function summarize(byKind: Record<string, RunCounts>) {
  return Object.fromEntries(
    Object.entries(byKind).map(([kind, c]) => [
      kind,
      { inserted: c.inserted, updated: c.updated, deleted: c.deleted, quarantined: c.quarantined },
    ]),
  );
}
