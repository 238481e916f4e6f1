// WHOOP end to end: backfill through real Temporal, Postgres and the sandbox over HTTP.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackfill } from '../cli/operations.ts';
import type { BackfillResult } from '../workflows/backfill.ts';
import { DAY_MS, dataRequests, day, iso, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';

const KINDS = ['cycle', 'sleep', 'recovery', 'workout'] as const;
let stack: WhoopStack;

beforeAll(async () => {
  stack = await startWhoopStack();
  await stack.connectUser('alice');
  await stack.connectUser('bob');
});
afterAll(() => stack?.close());

async function runBackfill(input: Record<string, unknown>): Promise<BackfillResult> {
  const handle = await startBackfill(stack.temporal.client, stack.temporal.config, input as never);
  return handle.result();
}

describe('backfill', () => {
  // An old range: every window is final (outside the 7-day rescore lookback).
  const from = day(-200);
  const to = day(-31); // a date `to` includes that whole day
  const end = new Date(to.getTime() + DAY_MS);

  it('stores exactly the records the sandbox serves for the range, per kind', async () => {
    const result = await runBackfill({ userId: 'alice', provider: 'whoop', from: iso(from), to: iso(to) });
    for (const kind of KINDS) {
      const { served, stored } = await stack.compare('alice', kind, from, end);
      expect(served.length, kind).toBeGreaterThan(kind === 'workout' ? 50 : 150);
      expect(stored, kind).toEqual(served);
      expect(result.byKind[kind]?.inserted, kind).toBe(served.length);
    }
    // Nothing outside the range was stored.
    const [outside] = await stack.db.sql<{ n: number }[]>`
      select count(*)::int as n from records where user_id = 'alice' and (start_at < ${from} or start_at >= ${end})`;
    expect(outside?.n).toBe(0);
    // Bob was not touched.
    const [bob] = await stack.db.sql<
      { n: number }[]
    >`select count(*)::int as n from records where user_id = 'bob'`;
    expect(bob?.n).toBe(0);
    expect(result.windowsDone).toBe(result.windowsTotal);
    expect(result.apiCalls).toBeGreaterThan(0);
  });

  it('re-running the same backfill makes zero provider requests and changes nothing', async () => {
    const before = await stack.db.sql`select kind, source_id, last_changed_at from records order by 1, 2`;
    stack.sandbox.control.resetStats();
    const result = await runBackfill({ userId: 'alice', provider: 'whoop', from: iso(from), to: iso(to) });
    expect(dataRequests(stack.sandbox)).toBe(0);
    expect(result.windowsTotal).toBe(0);
    const after = await stack.db.sql`select kind, source_id, last_changed_at from records order by 1, 2`;
    expect(after).toEqual(before);
  });

  it('a wider range fetches only the part not yet covered', async () => {
    stack.sandbox.control.resetStats();
    const wider = await runBackfill({
      userId: 'alice',
      provider: 'whoop',
      from: iso(day(-230)),
      to: iso(to),
      kinds: ['sleep'],
    });
    // 30 uncovered days fit one window: one window, a couple of pages.
    expect(wider.windowsTotal).toBe(1);
    expect(wider.byKind.sleep?.unchanged ?? 0).toBe(0);
    const { served, stored } = await stack.compare('alice', 'sleep', day(-230), end);
    expect(stored).toEqual(served);
  });
});

describe('records that borrow their times', () => {
  it('recoveries stored before their cycles take the cycle times once the cycles arrive', async () => {
    const from = day(-120);
    const to = day(-60);
    const end = new Date(to.getTime() + DAY_MS);
    await runBackfill({
      userId: 'bob',
      provider: 'whoop',
      from: iso(from),
      to: iso(to),
      kinds: ['recovery'],
    });
    const [orphans] = await stack.db.sql<{ n: number }[]>`
      select count(*)::int as n from records where user_id = 'bob' and kind = 'recovery' and start_at is null`;
    expect(orphans?.n).toBeGreaterThan(50);
    await runBackfill({ userId: 'bob', provider: 'whoop', from: iso(from), to: iso(to), kinds: ['cycle'] });
    // Now placed in time exactly as the provider filters them (by their cycle's start).
    const { served, stored } = await stack.compare('bob', 'recovery', from, end);
    expect(stored).toEqual(served);
    const [mismatched] = await stack.db.sql<{ n: number }[]>`
      select count(*)::int as n from records r join records c
        on c.user_id = r.user_id and c.kind = 'cycle' and c.source_id = r.source_id
      where r.user_id = 'bob' and r.kind = 'recovery' and r.start_at is distinct from c.start_at`;
    expect(mismatched?.n).toBe(0);
  });
});

describe('bad input fails at once, non-retryable, and fetches nothing', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'unknown user',
      { userId: 'mallory', provider: 'whoop', from: '2024-01-01', to: '2024-02-01' },
      /unknown user: "mallory"/,
    ],
    [
      'unknown provider',
      { userId: 'alice', provider: 'fitbit', from: '2024-01-01', to: '2024-02-01' },
      /unknown provider "fitbit"/,
    ],
    [
      'from after to',
      { userId: 'alice', provider: 'whoop', from: '2024-03-01', to: '2024-02-01' },
      /must be before to/,
    ],
    [
      'unparseable date',
      { userId: 'alice', provider: 'whoop', from: 'last tuesday', to: '2024-02-01' },
      /from "last tuesday" is neither/,
    ],
    [
      'impossible date',
      { userId: 'alice', provider: 'whoop', from: '2024-02-30', to: '2024-03-01' },
      /not a calendar date/,
    ],
    [
      'unknown kind',
      { userId: 'alice', provider: 'whoop', from: '2024-01-01', to: '2024-02-01', kinds: ['steps'] },
      /unknown kinds for whoop: steps/,
    ],
    [
      'instant without zone',
      { userId: 'alice', provider: 'whoop', from: '2024-01-01T00:00:00', to: '2024-02-01' },
      /with a zone/,
    ],
  ];

  it.each(cases)('%s', async (_name, input, message) => {
    stack.sandbox.control.resetStats();
    // Started straight through the Temporal client (as `temporal workflow start` would), not the CLI's checks.
    const handle = await stack.temporal.client.workflow.start('backfill', {
      taskQueue: stack.temporal.config.TEMPORAL_TASK_QUEUE,
      workflowId: `bad-input-${Math.random().toString(36).slice(2)}`,
      args: [input],
    });
    const error = await handle.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as {
      type?: string;
      message: string;
      cause?: { type?: string; message: string };
    };
    const failure = cause.cause ?? cause;
    expect(failure.type).toBe('InvalidInput');
    expect(failure.message).toMatch(message);
    expect(stack.sandbox.control.stats().requests).toBe(0);
  });
});

describe('a backfill reaching today', () => {
  it('re-run the same day fetches only the lookback, one window per kind', async () => {
    const input = { userId: 'bob', provider: 'whoop', from: iso(day(-20)), to: new Date().toISOString() };
    await runBackfill(input);
    stack.sandbox.control.resetStats();
    const again = await runBackfill(input);
    // Windows older than the rescore lookback are final and skipped; the lookback itself is always
    // re-checked: one window per kind, one page each.
    expect(again.windowsTotal).toBe(4);
    expect(dataRequests(stack.sandbox)).toBe(4);
  });
});
