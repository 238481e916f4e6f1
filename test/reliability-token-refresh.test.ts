// Token refresh through the whole pipeline: real Temporal workers, real Postgres, the WHOOP sandbox
// over HTTP. For access tokens living 10 s, 30 s and 1 h: 6 users backfill at once, 4 windows each
// in parallel, their tokens lapsing at the same instant; 2 workers with a Postgres pool of 3 each
// (far below their 12 concurrent activities); the shared budget paused while the first refreshes
// wait for it. Each run must complete with no failed attempt (so no lock timeout), no refresh token
// rejected or reused, and about one refresh per token lifetime per connection, counted at the sandbox.
import { afterEach, describe, expect, it } from 'vitest';
import { startBackfill } from '../cli/operations.ts';
import {
  DAY_MS,
  day,
  expectCompleted,
  expectStoredEqualsServed,
  iso,
  printFigures,
} from './support/reliability.ts';
import { startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';

const USERS = ['ada', 'bea', 'cai', 'dov', 'eli', 'fay'];
/** Our budget: slow enough that a 30-day backfill of 6 users outlives a 10 s token more than once. */
const RPM = 240;
const PAUSE_MS = 2_000;
const from = day(-41);
const to = day(-12);

let stack: WhoopStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** `rpm` sets the run's length from below (the shared budget spaces every request), whatever the machine's speed. */
async function run(ttlSeconds: number, rpm = RPM) {
  stack = await startWhoopStack({
    worker: false,
    sandbox: { accessTokenTtlSeconds: ttlSeconds, requestsPerMinute: 6000, historyDays: 90 },
    env: { WHOOP_REQUESTS_PER_MINUTE: String(rpm) },
  });
  const s = stack;
  // Two workers, each with 12 activity slots and a pool of only 3 connections.
  await s.temporal.startWorker({ maxConcurrentActivities: 12, poolSize: 3 });
  await s.temporal.startWorker({ maxConcurrentActivities: 12, poolSize: 3 });
  // Issued together and stored as lapsed: every window's first page needs a refresh, all at once.
  for (const userId of USERS) {
    await s.connectUserWith(userId, { ...s.sandbox.control.issueTokens(userId), expiresIn: 0 });
  }
  const before = await versions(s);
  s.sandbox.control.resetStats();
  // A 429 just seen by some worker: the shared budget holds every request, the refreshes included.
  await s.db.sql`insert into rate_budget (provider, tat)
                 values ('whoop', clock_timestamp() + ${PAUSE_MS}::float8 * interval '1 millisecond')
                 on conflict (provider) do update set tat = excluded.tat`;
  const started = Date.now();
  const handles = await Promise.all(
    USERS.map((userId) =>
      startBackfill(s.temporal.client, s.temporal.config, {
        userId,
        provider: 'whoop',
        from: iso(from),
        to: iso(to),
      }),
    ),
  );
  for (const handle of handles) expectCompleted(await handle.result());
  const elapsedMs = Date.now() - started;

  const after = await versions(s);
  const perUser = USERS.map((userId) => (after[userId] ?? 0) - (before[userId] ?? 0));
  const stats = s.sandbox.control.stats();
  const [attempts] = await s.db.sql<{ failed: number; windows: number }[]>`
    select count(*) filter (where status <> 'completed')::int as failed, count(*)::int as windows
    from sync_runs`;
  const lockTimeouts = s.temporal.logLines.filter((line) => /lock timeout|55P03|deadlock/i.test(line));
  let compared = 0;
  // The backfill's `to` is a date: its whole day is included.
  for (const userId of USERS)
    compared += await expectStoredEqualsServed(
      s.db.sql,
      s.sandbox,
      userId,
      from,
      new Date(to.getTime() + DAY_MS),
    );

  // Every refresh the sandbox granted was committed (a token_version each), none wasted or lost.
  expect(stats.refreshes).toBe(perUser.reduce((a, b) => a + b, 0));
  expect(stats.refreshReuse).toBe(0);
  expect(lockTimeouts).toEqual([]);
  expect(attempts?.failed).toBe(0);
  // At least the refresh the lapsed token needed; at most one per token lifetime that ran out during
  // the run (a token is refreshed a quarter of its lifetime early), plus that first one.
  const lifetimes = Math.floor(elapsedMs / (0.75 * ttlSeconds * 1000));
  for (const refreshes of perUser) {
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect(refreshes).toBeLessThanOrEqual(1 + lifetimes);
  }
  printFigures(`token refresh, ${ttlSeconds} s tokens`, {
    users: USERS.length,
    windows: attempts?.windows,
    refreshesPerUser: perUser,
    tokenLifetimesElapsed: lifetimes,
    sandboxRefreshes: stats.refreshes,
    rejectedRefreshTokens: stats.refreshReuse,
    unauthorized: stats.unauthorized,
    failedAttempts: attempts?.failed,
    lockTimeouts: lockTimeouts.length,
    recordsCompared: compared,
  });
  return { perUser, lifetimes };
}

async function versions(s: WhoopStack): Promise<Record<string, number>> {
  const rows = await s.db.sql<{ user_id: string; token_version: number }[]>`
    select user_id, token_version from connections where provider = 'whoop'`;
  return Object.fromEntries(rows.map((r) => [r.user_id, r.token_version]));
}

describe('token refresh through the pipeline: 6 users x 4 windows, 2 workers, pools of 3, a budget pause', () => {
  it('10 s tokens: refreshed again as each lifetime runs out, never more', async () => {
    // At 120 requests a minute the ~60 requests of the run take at least 30 s, by the budget, not by
    // the machine: the run outlives several 10 s tokens, so this case exercises the refresh of a live run.
    const { perUser, lifetimes } = await run(10, 120);
    expect(lifetimes).toBeGreaterThanOrEqual(1);
    expect(Math.max(...perUser)).toBeGreaterThanOrEqual(2);
  }, 180_000);

  it('30 s tokens', async () => {
    await run(30);
  }, 180_000);

  it('1 h tokens: exactly the one refresh each lapsed token needed', async () => {
    const { perUser } = await run(3600);
    expect(perUser).toEqual(USERS.map(() => 1));
  }, 180_000);
});
