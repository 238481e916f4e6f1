// What an operator finds through Temporal (the UI shows the same): one user's workflows listed by
// the WearhouseUser search attribute, the static summaries, the schedule's note, and a backfill's
// progress from its `progress` query and current details while it runs and when it is done.
import { QueryNotRegisteredError, type WorkflowExecutionInfo } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackfill, startSync } from '../cli/operations.ts';
import { scheduleId } from '../worker/schedules.ts';
import type { BackfillProgress } from '../workflows/backfill.ts';
import { WEARHOUSE_PROVIDER, WEARHOUSE_USER } from '../workflows/search-attributes.ts';
import { day, iso, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';
import { waitUntil } from './support/worker-process.ts';

const USER = 'pia';
const OTHER = 'quinn';

let stack: WhoopStack;
let backfill: Awaited<ReturnType<typeof startBackfill>>;
let sync: Awaited<ReturnType<typeof startSync>>;
const snapshots: BackfillProgress[] = [];

async function listByUser(userId: string): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const info of stack.temporal.client.workflow.list({ query: `WearhouseUser="${userId}"` })) {
    found.push(info);
  }
  return found;
}

beforeAll(async () => {
  // A budget slow enough that the backfill is seen half done.
  stack = await startWhoopStack({ sandbox: { requestsPerMinute: 300 } });
  await stack.connectUser(USER, { keepScheduleRunning: true });
  await stack.connectUser(OTHER);
  backfill = await startBackfill(stack.temporal.client, stack.temporal.config, {
    userId: USER,
    provider: 'whoop',
    from: iso(day(-120)),
    to: iso(day(-20)),
    kinds: ['cycle', 'sleep'],
  });
  const done = backfill.result();
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  while (!finished) {
    try {
      snapshots.push(await backfill.query<BackfillProgress>('progress'));
    } catch (error) {
      // The handler is registered once the windows are planned, a moment after the start.
      if (!(error instanceof QueryNotRegisteredError) || snapshots.length > 0) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await done;
  sync = await startSync(stack.temporal.client, stack.temporal.config, { userId: USER, provider: 'whoop' });
  await sync.result();
}, 300_000);

afterAll(async () => {
  await stack?.close();
});

describe("finding one user's workflows", () => {
  it('lists the backfill and the manual sync by WearhouseUser, tagged with the provider', async () => {
    let found: WorkflowExecutionInfo[] = [];
    // Visibility is eventually consistent: the list catches up within a moment.
    await waitUntil('both workflows listed', async () => {
      found = await listByUser(USER);
      return [backfill.workflowId, sync.workflowId].every((id) => found.some((w) => w.workflowId === id));
    });
    for (const info of found) {
      expect(info.workflowId).toMatch(new RegExp(`^(backfill|sync):whoop:${USER}`));
      expect(info.typedSearchAttributes.get(WEARHOUSE_USER)).toBe(USER);
      expect(info.typedSearchAttributes.get(WEARHOUSE_PROVIDER)).toBe('whoop');
      expect(info.status.name).toBe('COMPLETED');
    }
    expect(new Set(found.map((w) => w.type))).toEqual(new Set(['backfill', 'incrementalSync']));
    // Another user's list holds none of them.
    const others = await listByUser(OTHER);
    expect(others.filter((w) => w.workflowId.includes(`:${USER}`))).toEqual([]);
  });

  it('describes each with its static summary', async () => {
    const described = await backfill.describe();
    expect(await described.staticSummary()).toBe(
      `Backfill whoop cycle, sleep of ${USER}, ${iso(day(-120))} to ${iso(day(-19))}`,
    );
    expect(await (await sync.describe()).staticSummary()).toBe(`Manual incremental whoop sync of ${USER}`);
  });

  it('shows the schedule connect created, with its note and what it starts', async () => {
    const description = await stack.temporal.client.schedule.getHandle(scheduleId('whoop', USER)).describe();
    // Connect writes the note; a worker's budget plan (at its start and hourly, worker/budget-plan.ts)
    // rewrites it with the same interval and says so. Which one a reader sees depends on whether a
    // plan run came after connect (fresh-clone CI once saw the second).
    expect(description.state.note).toMatch(
      new RegExp(`^Syncs whoop data of ${USER} every 15 min \\(incrementalSync(; budget plan)?\\)\\.$`),
    );
    expect(description.state.paused).toBe(false);
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'incrementalSync',
      staticSummary: `Incremental whoop sync of ${USER}`,
    });
  });
});

describe("a backfill's progress", () => {
  it('the progress query counts windows done out of the total, never backwards', async () => {
    expect(snapshots.length).toBeGreaterThan(2);
    const total = snapshots.at(-1)?.windowsTotal ?? 0;
    expect(total).toBeGreaterThan(4);
    let previous = 0;
    for (const snapshot of snapshots) {
      // 0 only while the windows are still being planned (the query answers from the first task).
      expect([0, total]).toContain(snapshot.windowsTotal);
      expect(snapshot.windowsDone).toBeGreaterThanOrEqual(previous);
      previous = snapshot.windowsDone;
    }
    // Seen half way, with windows running.
    expect(snapshots.some((s) => s.windowsDone > 0 && s.windowsDone < total && s.running.length > 0)).toBe(
      true,
    );
    const final = await backfill.query<BackfillProgress>('progress');
    expect(final).toMatchObject({ userId: USER, provider: 'whoop', windowsDone: total, windowsTotal: total });
    expect(Object.keys(final.byKind).sort()).toEqual(['cycle', 'sleep']);
  });

  it('the current details (the UI\'s "Current details") say the same', async () => {
    const metadata = await backfill.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    const total = snapshots.at(-1)?.windowsTotal ?? 0;
    expect(metadata.currentDetails).toContain(`**${total} / ${total} windows**`);
    expect(metadata.currentDetails).toMatch(/- cycle: \d+ fetched/);
    const syncDetails = await sync.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(syncDetails.currentDetails).toMatch(
      new RegExp(`^\\*\\*done\\*\\*: \\d+ windows of ${USER}'s whoop data`),
    );
  });

  it("each window activity's summary in the timeline names the user, kind and window", async () => {
    for (const handle of [backfill, sync]) {
      const { events } = await handle.fetchHistory();
      const summaries = (events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncWindow')
        .map((e) => defaultPayloadConverter.fromPayload<string>(e.userMetadata?.summary as never));
      expect(summaries.length, handle.workflowId).toBeGreaterThan(0);
      for (const summary of summaries) {
        expect(summary).toMatch(
          new RegExp(
            `^${USER} (cycle|sleep|recovery|workout) \\d{4}-\\d{2}-\\d{2}[T\\d:]*→\\d{4}-\\d{2}-\\d{2}`,
          ),
        );
      }
    }
  });
});
