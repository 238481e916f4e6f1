// Token lifecycle through the real worker: a revoked grant stops cleanly (connection marked, schedule
// paused, non-retryable failure); a flaky token endpoint is retried, never taken for a revocation.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackfill } from '../cli/operations.ts';
import { scheduleId } from '../worker/schedules.ts';
import { day, iso, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';

let stack: WhoopStack;
beforeAll(async () => {
  stack = await startWhoopStack();
});
afterAll(() => stack?.close());

describe('token lifecycle', () => {
  it('a revoked grant: reauth_required, schedule paused, the backfill fails non-retryably saying so', async () => {
    await stack.connectUser('henry', { keepScheduleRunning: true });
    stack.sandbox.control.revokeUser('henry');
    const handle = await startBackfill(stack.temporal.client, stack.temporal.config, {
      userId: 'henry',
      provider: 'whoop',
      from: iso(day(-90)),
      to: iso(day(-40)),
    });
    const error = await handle.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as { cause?: { type?: string; message: string } };
    expect(cause.cause?.type).toBe('ReauthRequired');
    expect(cause.cause?.message).toMatch(/wearhouse connect whoop --user henry/);
    const [connection] = await stack.db.sql<{ status: string; status_reason: string }[]>`
      select status, status_reason from connections where user_id = 'henry'`;
    expect(connection?.status).toBe('reauth_required');
    expect(connection?.status_reason).toMatch(/refresh rejected/);
    const schedule = await stack.temporal.client.schedule.getHandle(scheduleId('whoop', 'henry')).describe();
    expect(schedule.state.paused).toBe(true);
    // Failed once, not retried: one failed attempt per window that ran, each classed ReauthRequired.
    const runs = await stack.db.sql<{ error_class: string; attempt: number }[]>`
      select error_class, attempt from sync_runs where user_id = 'henry'`;
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) {
      expect(run.error_class).toBe('ReauthRequired');
      expect(run.attempt).toBe(1);
    }
  });

  it('reconnecting after reauth unpauses the schedule and syncs again', async () => {
    await stack.connectUser('henry', { keepScheduleRunning: true });
    const schedule = await stack.temporal.client.schedule.getHandle(scheduleId('whoop', 'henry')).describe();
    expect(schedule.state.paused).toBe(false);
    const result = await (
      await startBackfill(stack.temporal.client, stack.temporal.config, {
        userId: 'henry',
        provider: 'whoop',
        from: iso(day(-90)),
        to: iso(day(-40)),
      })
    ).result();
    expect(result.windowsDone).toBe(result.windowsTotal);
  });

  it('a flaky token endpoint during refresh is retried, not a revocation', async () => {
    const tokens = stack.sandbox.control.issueTokens('iris');
    stack.sandbox.control.expireAccessToken(tokens.accessToken);
    await stack.connectUserWith('iris', tokens);
    stack.sandbox.control.setFaults({ tokenServerErrorRate: 0.6 });
    stack.sandbox.control.resetStats();
    const result = await (
      await startBackfill(stack.temporal.client, stack.temporal.config, {
        userId: 'iris',
        provider: 'whoop',
        from: iso(day(-90)),
        to: iso(day(-40)),
      })
    ).result();
    stack.sandbox.control.setFaults({});
    expect(result.windowsDone).toBe(result.windowsTotal);
    const stats = stack.sandbox.control.stats();
    expect(stats.refreshes).toBe(1);
    expect(stats.refreshReuse).toBe(0);
    const [connection] = await stack.db.sql<
      { status: string }[]
    >`select status from connections where user_id = 'iris'`;
    expect(connection?.status).toBe('active');
  });
});
