// A second backfill request for a user whose backfill is running is merged into it (signal-with-start
// with `addRange`), never dropped: its windows are planned minus what the running one planned, the
// ranges survive continue-as-new, a bad range is rejected visibly, and a planned one is "already covered".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillWorkflowId, startBackfill } from '../cli/operations.ts';
import type { BackfillProgress, BackfillResult } from '../workflows/backfill.ts';
import { DAY_MS, day, iso, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';

const KINDS = ['cycle', 'sleep', 'recovery', 'workout'] as const;
const USER = 'nina';
let stack: WhoopStack;

beforeAll(async () => {
  stack = await startWhoopStack();
  await stack.connectUser(USER);
});
afterAll(() => stack?.close());

const start = (from: Date, to: Date, extra: Record<string, unknown> = {}) =>
  startBackfill(stack.temporal.client, stack.temporal.config, {
    userId: USER,
    provider: 'whoop',
    from: iso(from),
    to: iso(to),
    ...extra,
  } as never);

describe('a backfill request while one runs', () => {
  it('is merged into the running backfill, fetched once, across continue-as-new', async () => {
    // Slow responses and small runs: the first backfill is still busy when the others arrive, and it
    // continues as new several times while they are pending or queued.
    stack.sandbox.control.setFaults({ latencyMs: 150 });
    const first = await start(day(-260), day(-201), { options: { parallelism: 1, windowsPerRun: 3 } });
    // Overlaps the first range's end: only [day(-200), day(-169)) is new.
    const overlapping = await start(day(-230), day(-170));
    const disjoint = await start(day(-120), day(-61));
    // Inside the first range: nothing to plan.
    const inside = await start(day(-250), day(-240));
    await stack.temporal.client.workflow
      .getHandle(backfillWorkflowId('whoop', USER))
      .signal('addRange', { from: 'yesterday', to: iso(day(-1)) });
    const result: BackfillResult = await first.result();
    stack.sandbox.control.setFaults({});
    const executions = [];
    for await (const e of stack.temporal.client.workflow.list({
      // This file's task queue only: other test files share the Temporal server and the user names.
      query: `WorkflowId = "${backfillWorkflowId('whoop', USER)}" and TaskQueue = "${stack.temporal.config.TEMPORAL_TASK_QUEUE}"`,
    }))
      executions.push(e);
    // One backfill, continued as new: no second one was started for the later requests.
    expect(executions.length).toBe(result.continuedAsNew + 1);
    expect(result.continuedAsNew).toBeGreaterThan(0);
    const runs = new Set(executions.map((e) => e.runId));
    for (const handle of [overlapping, disjoint, inside]) expect(runs).toContain(handle.signaledRunId);

    expect(result.ranges.map((r) => [r.from, r.to, r.windows ?? null, r.rejected ?? null])).toEqual([
      [iso(day(-260)), iso(day(-201)), expect.any(Number), null],
      [iso(day(-230)), iso(day(-170)), expect.any(Number), null],
      [iso(day(-120)), iso(day(-61)), expect.any(Number), null],
      [iso(day(-250)), iso(day(-240)), 0, null],
      ['yesterday', iso(day(-1)), null, expect.stringMatching(/from "yesterday" is neither/)],
    ]);
    expect(result.ranges[1]?.windows).toBeGreaterThan(0);
    expect(result.ranges[2]?.windows).toBeGreaterThan(0);
    expect(result.windowsDone).toBe(result.windowsTotal);

    const spans = [
      { start: day(-260), end: day(-169) },
      { start: day(-120), end: new Date(day(-61).getTime() + DAY_MS) },
    ];
    for (const kind of KINDS) {
      let served = 0;
      for (const span of spans) {
        const compared = await stack.compare(USER, kind, span.start, span.end);
        expect(compared.stored, `${kind} ${iso(span.start)}`).toEqual(compared.served);
        served += compared.served.length;
      }
      // Each record fetched once: no window of the merged ranges overlapped another.
      expect(result.byKind[kind]?.fetched, kind).toBe(served);
    }
    const [gap] = await stack.db.sql<{ n: number }[]>`
      select count(*)::int as n from records
      where user_id = ${USER} and start_at >= ${day(-169)} and start_at < ${day(-120)}`;
    expect(gap?.n).toBe(0);
  });

  it('a backfill of a covered range says so in its progress: planned, 0 windows', async () => {
    const handle = await start(day(-120), day(-61));
    const result = await handle.result();
    expect(result.windowsTotal).toBe(0);
    expect(result.ranges).toEqual([
      { from: iso(day(-120)), to: iso(day(-61)), kinds: [...KINDS], windows: 0 },
    ]);
    const progress = await handle.query<BackfillProgress>('progress');
    expect(progress.phase).toBe('done');
  });
});
