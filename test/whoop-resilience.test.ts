// The backfill under crashes, token expiry races and provider faults: completes, loses nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { startBackfill } from '../cli/operations.ts';
import { DAY_MS, day, iso, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';
import { spawnWorkerProcess, waitUntil } from './support/worker-process.ts';

const KINDS = ['cycle', 'sleep', 'recovery', 'workout'] as const;

let stack: WhoopStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function expectExactlyServed(s: WhoopStack, userId: string, from: Date, to: Date) {
  const end = new Date(to.getTime() + DAY_MS);
  for (const kind of KINDS) {
    const { served, stored } = await s.compare(userId, kind, from, end);
    expect(served.length, kind).toBeGreaterThan(10);
    expect(stored, kind).toEqual(served);
  }
}

describe('resilience', () => {
  it('a worker killed mid-backfill: a new worker finishes, every record stored once', async () => {
    stack = await startWhoopStack({ worker: false, sandbox: { requestsPerMinute: 600 } });
    const s = stack;
    await s.connectUser('dave');
    const first = spawnWorkerProcess(s.temporal, s.db.url);
    const from = day(-300);
    const to = day(-30);
    const handle = await startBackfill(s.temporal.client, s.temporal.config, {
      userId: 'dave',
      provider: 'whoop',
      from: iso(from),
      to: iso(to),
      options: { heartbeatTimeoutSeconds: 3 },
    } as never);
    // Kill it once some pages are stored and windows are still running.
    await waitUntil('some pages stored', async () => {
      const [row] = await s.db.sql<
        { pages: number }[]
      >`select count(*)::int as pages from records where user_id = 'dave'`;
      return (row?.pages ?? 0) > 100;
    });
    await first.kill('SIGKILL');
    const [midway] = await s.db.sql<
      { n: number }[]
    >`select count(*)::int as n from records where user_id = 'dave'`;
    const second = spawnWorkerProcess(s.temporal, s.db.url);
    try {
      const result = await handle.result();
      expect(result.windowsDone).toBe(result.windowsTotal);
      await expectExactlyServed(s, 'dave', from, to);
      // Once: inserts counted across all attempts equal the rows stored, so no page was stored twice as new.
      const [ledger] = await s.db.sql<{ inserted: number; records: number; interrupted: number }[]>`
        select (select sum(inserted)::int from sync_runs where user_id = 'dave') as inserted,
               (select count(*)::int from records where user_id = 'dave') as records,
               (select count(*)::int from sync_runs where user_id = 'dave' and status = 'running') as interrupted`;
      expect(midway?.n).toBeLessThan(ledger?.records ?? 0);
      expect(ledger?.inserted).toBe(ledger?.records);
      // The killed attempts stay visible in the ledger as never finished.
      expect(ledger?.interrupted).toBeGreaterThan(0);
    } finally {
      await second.kill('SIGTERM');
    }
  });

  it('token expiry during a backfill with two workers racing to refresh: one refresh, no revocation', async () => {
    stack = await startWhoopStack({ worker: false, sandbox: { requestsPerMinute: 1200 } });
    const s = stack;
    await s.temporal.startWorker();
    await s.temporal.startWorker();
    const tokens = s.sandbox.control.issueTokens('erin');
    // Store a pair whose access token the sandbox has already expired: the first page of every
    // window gets a 401 and both workers try to refresh at once.
    s.sandbox.control.expireAccessToken(tokens.accessToken);
    await s.connectUserWith('erin', { ...tokens, expiresIn: 3600 });
    s.sandbox.control.resetStats();
    const from = day(-200);
    const to = day(-30);
    const handle = await startBackfill(s.temporal.client, s.temporal.config, {
      userId: 'erin',
      provider: 'whoop',
      from: iso(from),
      to: iso(to),
    });
    const result = await handle.result();
    expect(result.windowsDone).toBe(result.windowsTotal);
    await expectExactlyServed(s, 'erin', from, to);
    const stats = s.sandbox.control.stats();
    expect(stats.refreshes).toBe(1);
    expect(stats.refreshReuse).toBe(0);
    const [connection] = await s.db.sql<
      { status: string }[]
    >`select status from connections where user_id = 'erin'`;
    expect(connection?.status).toBe('active');
  });

  it('a 429 storm and 10% injected 5xx: the backfill completes with zero records lost', async () => {
    stack = await startWhoopStack({ sandbox: { requestsPerMinute: 3000 } });
    const s = stack;
    await s.connectUser('frank');
    s.sandbox.control.setFaults({ rateLimitStormRate: 0.2, serverErrorRate: 0.1 });
    const from = day(-150);
    const to = day(-30);
    const result = await (
      await startBackfill(s.temporal.client, s.temporal.config, {
        userId: 'frank',
        provider: 'whoop',
        from: iso(from),
        to: iso(to),
      })
    ).result();
    s.sandbox.control.setFaults({});
    const stats = s.sandbox.control.stats();
    expect(stats.injected429).toBeGreaterThan(0);
    expect(stats.injected5xx).toBeGreaterThan(0);
    expect(result.windowsDone).toBe(result.windowsTotal);
    await expectExactlyServed(s, 'frank', from, to);
    const failures = await s.db.sql<{ error_class: string; n: number }[]>`
      select error_class, count(*)::int as n from sync_runs where user_id = 'frank' and status = 'failed' group by 1`;
    const classes = failures.map((f) => f.error_class);
    expect(classes).toContain('RateLimited');
    expect(classes).toContain('ProviderUnavailable');
  });
});
