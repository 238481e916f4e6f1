// Incremental sync after the provider rescored, added and deleted records: all three show.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackfill } from '../cli/operations.ts';
import type { WhoopKind } from '../providers/whoop/sandbox/types.ts';
import { DAY_MS, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';

const KINDS: WhoopKind[] = ['cycle', 'sleep', 'recovery', 'workout'];
// A fixed "today", never the calendar's: the sandbox deletes only records of the last few days, and
// whether carol has two workouts among them depends on the day. On this day she has (the sandbox's
// data is a pure function of seed, user and day), so the test passes or fails the same way every run.
const realNow = Date.parse('2026-01-20T12:00:00Z');
let sandboxNow = realNow - 2 * DAY_MS;
let stack: WhoopStack;

beforeAll(async () => {
  // The sandbox and the worker's planning read the same clock.
  const now = () => new Date(sandboxNow);
  stack = await startWhoopStack({ sandbox: { now }, now });
  await stack.connectUser('carol');
});
afterAll(() => stack?.close());

const from = new Date(Math.floor(realNow / DAY_MS - 40) * DAY_MS);

async function storedPayloads(kind: WhoopKind) {
  const rows = await stack.db.sql<{ source_id: string; payload: unknown }[]>`
    select source_id, payload from records
    where user_id = 'carol' and kind = ${kind} and deleted_at is null and start_at >= ${from}`;
  return new Map(rows.map((r) => [r.source_id, r.payload]));
}

const idOf = (record: unknown) => {
  const r = record as { id?: unknown; cycle_id?: unknown };
  return String(r.id ?? r.cycle_id);
};

describe('incrementalSync', () => {
  it('reflects rescored, new and deleted records and advances the watermark', async () => {
    const backfill = await startBackfill(stack.temporal.client, stack.temporal.config, {
      userId: 'carol',
      provider: 'whoop',
      from: from.toISOString().slice(0, 10),
      to: new Date(sandboxNow).toISOString(),
    });
    await backfill.result();
    const pendingBefore = (
      await stack.db.sql<{ source_id: string }[]>`
        select source_id from records where user_id = 'carol' and payload->>'score_state' = 'PENDING_SCORE'`
    ).map((r) => r.source_id);
    expect(pendingBefore.length).toBeGreaterThan(0);
    const [watermarkBefore] = await stack.db.sql<{ watermark: Date }[]>`
      select min(watermark) as watermark from sync_watermarks where user_id = 'carol'`;

    const storedBefore = new Set(
      (
        await stack.db.sql<{ source_id: string }[]>`select source_id from records where user_id = 'carol'`
      ).map((r) => r.source_id),
    );
    // WHOOP moves on: two days pass, scores arrive, some records are deleted.
    sandboxNow = realNow - 60_000;
    const added = stack.sandbox.control.extendToNow('carol');
    const { rescored } = stack.sandbox.control.rescore('carol');
    const deletedWorkouts = stack.sandbox.control.deleteRecords('carol', 'workout', 2, 5);
    const deletedSleeps = stack.sandbox.control.deleteRecords('carol', 'sleep', 2, 5);
    // Records deleted before we ever stored them (among the new ones) have nothing to soft-delete.
    const expectedDeleted = [...deletedWorkouts, ...deletedSleeps]
      .filter((id) => storedBefore.has(id))
      .sort();
    expect(expectedDeleted.length).toBeGreaterThan(0);
    expect(added.cycle).toBeGreaterThan(0);
    expect(rescored).toBeGreaterThan(0);
    expect(deletedWorkouts.length + deletedSleeps.length).toBe(4);

    const result = await stack.temporal.client.workflow.execute('incrementalSync', {
      taskQueue: stack.temporal.config.TEMPORAL_TASK_QUEUE,
      workflowId: `sync:whoop:carol:test-${Date.now()}`,
      args: [{ userId: 'carol', provider: 'whoop' }],
    });

    for (const kind of KINDS) {
      const served = stack.sandbox.control.records('carol', kind, from, new Date(sandboxNow + 1));
      const stored = await storedPayloads(kind);
      expect([...stored.keys()].sort(), kind).toEqual(served.map(idOf).sort());
      for (const record of served)
        expect(stored.get(idOf(record)), `${kind} ${idOf(record)}`).toEqual(record);
    }
    const deleted = await stack.db.sql<{ source_id: string }[]>`
      select source_id from records where user_id = 'carol' and deleted_at is not null order by 1`;
    expect(deleted.map((r) => r.source_id).sort()).toEqual(expectedDeleted);
    const totals = Object.values(
      result.byKind as Record<string, { updated: number; inserted: number; deleted: number }>,
    );
    // Every record stored while pending was rewritten with its score.
    const rescoredStored = pendingBefore.filter((id) => !expectedDeleted.includes(id));
    expect(totals.reduce((s, c) => s + c.updated, 0)).toBeGreaterThanOrEqual(rescoredStored.length);
    const pendingAfter = await stack.db.sql<{ n: number }[]>`
      select count(*)::int as n from records
      where user_id = 'carol' and deleted_at is null and payload->>'score_state' = 'PENDING_SCORE'`;
    expect(pendingAfter[0]?.n).toBe(0);
    expect(totals.reduce((s, c) => s + c.deleted, 0)).toBe(expectedDeleted.length);

    const [watermarkAfter] = await stack.db.sql<{ watermark: Date }[]>`
      select min(watermark) as watermark from sync_watermarks where user_id = 'carol'`;
    expect(watermarkAfter?.watermark.getTime()).toBeGreaterThan(watermarkBefore?.watermark.getTime() ?? 0);
  });
});
