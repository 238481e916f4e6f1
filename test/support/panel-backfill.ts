// The data test/grafana-panels.test.ts checks every dashboard panel on, stored as production stores
// it: real backfills and syncs of WHOOP sandbox users through the real worker, Temporal and Postgres.
// The runs are shaped so that every panel has real rows, pipeline health included:
//
//   1. A year of two users, backfilled at once while the sandbox injects a 429 storm and 5xx:
//      failed runs of classes RateLimited and ProviderUnavailable, retried to completion, and 429 /
//      5xx counters in provider_requests.
//   2. The second user's year in three backfills that leave its workouts uncovered for 30 days (the
//      "Coverage gaps" panel); the last one is served malformed records (quarantined).
//   3. The provider rescores and deletes records, then an incremental sync of both users: updated
//      and soft-deleted records.
//   4. SYNTHETIC, the only step that is: the second user's run ledger is moved 3 hours into the past,
//      so its connection is stale (no successful sync for 2 hours) for the staleness panel and alert.
//      A real run cannot finish in the past, and waiting hours is not a test.
//   5. A backfill of an older range of the second user, still running when the panels are checked:
//      every data request now answers only after 25 s. close() terminates it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackfill, startSync } from '../../cli/operations.ts';
import type { WhoopKind } from '../../providers/whoop/sandbox/types.ts';
import { scheduleId } from '../../worker/schedules.ts';
import { writeExportZip } from './apple-export/write.ts';
import { runImport } from './apple-import.ts';
import { DAY_MS, startWhoopStack, type WhoopStack } from './whoop-stack.ts';
import { waitUntil } from './worker-process.ts';

/** Names no other test file uses: workflow and schedule ids are shared on the Temporal server. */
export const PANEL_USERS = ['panel-ann', 'panel-ben'] as const;

export interface PanelData {
  stack: WhoopStack;
  users: string[];
  /** The range every panel is checked for: the backfilled year, up to after the last run started. */
  from: Date;
  to: Date;
  /** The span of one user's workouts that no backfill covered. */
  gap: { userId: string; kind: WhoopKind; start: Date; end: Date };
  /** Records the provider deleted that the incremental sync soft-deleted. */
  deleted: string[];
  /** The backfill still running while the panels are checked. */
  running: Awaited<ReturnType<typeof startBackfill>>;
  close(): Promise<void>;
}

/** Slow enough for every check to run while the last backfill's first pages are in flight. */
const SLOW_REQUEST_MS = 25_000;

export async function backfillPanelData(): Promise<PanelData> {
  // A budget of 6000 requests a minute: the year of two users takes seconds, not hours.
  const stack = await startWhoopStack({ sandbox: { requestsPerMinute: 6000, historyDays: 500 } });
  let running: PanelData['running'] | undefined;
  const close = async () => {
    await running?.terminate('grafana-panels test finished').catch(() => {});
    for (const userId of PANEL_USERS)
      await stack.temporal.client.schedule
        .getHandle(scheduleId('whoop', userId))
        .delete()
        .catch(() => {});
    // The slow backfill's requests are waiting in the sandbox: closing it first ends them at once,
    // so the worker does not wait for them to shut down.
    await stack.sandbox.close();
    await stack.temporal.close();
    await stack.db.close();
  };
  try {
    const [ann, ben] = PANEL_USERS;
    const { client, config } = stack.temporal;
    const { control } = stack.sandbox;
    const sql = stack.db.sql;
    for (const userId of PANEL_USERS) {
      await stack.connectUser(userId);
      // The test starts every sync itself: the connection's 15-minute schedule must not add one.
      await client.schedule.getHandle(scheduleId('whoop', userId)).pause('syncs are started by the test');
    }
    const backfill = async (userId: string, from: Date, to: Date, kinds?: WhoopKind[]) => {
      const input = { userId, provider: 'whoop', from: from.toISOString(), to: to.toISOString() };
      const handle = await startBackfill(client, config, kinds ? { ...input, kinds } : input);
      return handle.result();
    };

    const now = new Date();
    const from = new Date((Math.floor(now.getTime() / DAY_MS) - 365) * DAY_MS);
    const gap = {
      userId: ben,
      kind: 'workout' as const,
      start: new Date(from.getTime() + 120 * DAY_MS),
      end: new Date(from.getTime() + 150 * DAY_MS),
    };

    // 1 and 2: the year of both users under a 429 storm and 5xx; the second one's gap left open.
    // The sandbox draws these faults per request number from its seed, so the same requests fail
    // on every run: about 3 storm 429s (each pauses the whole app budget for 1-5 s, as a real 429
    // must, so the rate is kept low) and 5 server errors in the ~180 requests of the two years.
    control.setFaults({ rateLimitStormRate: 0.015, serverErrorRate: 0.02 });
    await Promise.all([
      backfill(ann, from, now),
      backfill(ben, from, gap.start).then(() => backfill(ben, gap.end, now)),
    ]);
    // Malformed records only once the first user is stored, so its data is exactly what was served.
    control.setFaults({ malformedRecordRate: 0.1 });
    await backfill(ben, gap.start, gap.end, ['cycle', 'sleep', 'recovery']);

    // 3: WHOOP rescores and deletes, an incremental sync of each user follows.
    control.setFaults({});
    for (const userId of PANEL_USERS) control.rescore(userId);
    const deleted = [
      ...control.deleteRecords(ann, 'workout', 2, 5),
      ...control.deleteRecords(ben, 'sleep', 2, 5),
    ];
    await Promise.all(
      PANEL_USERS.map(async (userId) =>
        (await startSync(client, config, { userId, provider: 'whoop' })).result(),
      ),
    );

    // 3b: an Apple Health export of the last 40 days for each user, imported through the worker
    // (the Apple Health dashboard's panels).
    const exportDir = await mkdtemp(join(tmpdir(), 'wearhouse-panel-apple-'));
    try {
      const firstDay = new Date(now.getTime() - 40 * DAY_MS).toISOString().slice(0, 10);
      for (const [i, userId] of PANEL_USERS.entries()) {
        const path = join(exportDir, `${userId}.zip`);
        await writeExportZip(path, { firstDay, days: 40, heartRatePerDay: 48, seed: 20 + i });
        await runImport(client, config.TEMPORAL_TASK_QUEUE, { userId, path });
      }
    } finally {
      await rm(exportDir, { recursive: true, force: true });
    }

    // 4 (synthetic): the second user last synced successfully 3 hours ago.
    await sql`
      update sync_runs set started_at = started_at - interval '3 hours',
        finished_at = finished_at - interval '3 hours'
      where user_id = ${ben}`;

    // The worker flushes its request counters every few seconds; the throttling panels need them.
    await waitUntil('429 and 5xx counters stored', async () => {
      const [row] = await sql<{ throttled: number; failed: number }[]>`
        select count(*) filter (where status = 429)::int as throttled,
          count(*) filter (where status >= 500)::int as failed
        from provider_requests`;
      return (row?.throttled ?? 0) > 0 && (row?.failed ?? 0) > 0;
    });

    // 5: a backfill of the second user's older data that stays running while the panels are checked.
    control.setFaults({ latencyMs: SLOW_REQUEST_MS });
    running = await startBackfill(client, config, {
      userId: ben,
      provider: 'whoop',
      from: new Date(from.getTime() - 90 * DAY_MS).toISOString(),
      to: new Date(from.getTime() - 1).toISOString(),
    });
    const runId = running.signaledRunId;
    await waitUntil('the slow backfill running', async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from sync_runs where run_id = ${runId} and status = 'running'`;
      return (row?.n ?? 0) > 0;
    });
    // As autovacuum would after a backfill: plans for panel queries depend on current statistics.
    await sql`analyze`;
    return { stack, users: [...PANEL_USERS], from, to: new Date(), gap, deleted, running, close };
  } catch (error) {
    await close();
    throw error;
  }
}
