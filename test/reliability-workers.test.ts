// Two worker processes on one task queue, backfilling three users at once against a sandbox whose
// app budget equals WHOOP_REQUESTS_PER_MINUTE. More requests than one minute's budget are needed, so
// two workers each spending a full budget would be refused: the shared budget must hold (no 429 from
// the sandbox's budget). Every access token expires twice (once known to the app, once only to the
// provider, mid-run): each expiry costs exactly one refresh, and no spent refresh token is reused.
import { afterAll, describe, expect, it } from 'vitest';
import { startBackfill } from '../cli/operations.ts';
import { decryptTokens, getConnection } from '../store/connections.ts';
import { createTokenCipher } from '../store/crypto.ts';
import { scheduleId } from '../worker/schedules.ts';
import {
  DAY_MS,
  day,
  expectCompleted,
  expectStoredEqualsServed,
  iso,
  printFigures,
} from './support/reliability.ts';
import { dataRequests, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';
import { spawnWorkerProcess, type WorkerProcess, waitUntil } from './support/worker-process.ts';

const RPM = 150;
const USERS = ['uma', 'vic', 'wes'];

let stack: WhoopStack | undefined;
const workers: WorkerProcess[] = [];
afterAll(async () => {
  for (const w of workers) await w.kill('SIGKILL');
  await stack?.close();
});

describe('two worker processes on one task queue', () => {
  it('hold the app budget together and refresh each token once per expiry', async () => {
    stack = await startWhoopStack({ worker: false, sandbox: { requestsPerMinute: RPM } });
    const s = stack;
    expect(s.temporal.config.WHOOP_REQUESTS_PER_MINUTE).toBe(RPM);
    const cipher = createTokenCipher(s.temporal.tokenEncryptionKey);
    for (const userId of USERS) {
      // Expiry 1: the stored access token has lapsed, so the first window refreshes it.
      await s.connectUserWith(userId, { ...s.sandbox.control.issueTokens(userId), expiresIn: 0 });
      await s.temporal.client.schedule.getHandle(scheduleId('whoop', userId)).delete();
    }
    workers.push(spawnWorkerProcess(s.temporal, s.db.url), spawnWorkerProcess(s.temporal, s.db.url));
    s.sandbox.control.resetStats();
    const from = day(-250);
    const to = day(-31);
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

    // Expiry 2, mid-run: the provider expires every current access token; the app learns it from 401s.
    await waitUntil('the first refreshes', async () => s.sandbox.control.stats().refreshes >= USERS.length);
    await waitUntil('some pages stored', async () => {
      const [row] = await s.db.sql<
        { pages: number }[]
      >`select coalesce(sum(pages), 0)::int as pages from sync_runs`;
      return (row?.pages ?? 0) >= 20;
    });
    for (const userId of USERS) {
      const row = await getConnection(s.db.sql, 'whoop', userId);
      const { accessToken } = decryptTokens(cipher, row as NonNullable<typeof row>);
      s.sandbox.control.expireAccessToken(accessToken as string);
    }

    const results = await Promise.all(handles.map((h) => h.result()));
    const stats = s.sandbox.control.stats();
    let compared = 0;
    for (const [i, userId] of USERS.entries()) {
      expectCompleted(results[i] as (typeof results)[number]);
      compared += await expectStoredEqualsServed(
        s.db.sql,
        s.sandbox,
        userId,
        from,
        new Date(to.getTime() + DAY_MS),
      );
    }
    const requests = dataRequests(s.sandbox);
    // Meaningful only if the run needed more than one minute's budget.
    expect(requests).toBeGreaterThan(RPM);
    expect(stats.budget429).toBe(0);
    expect(stats.unauthorized).toBeGreaterThan(0);
    expect(stats.refreshes).toBe(2 * USERS.length);
    expect(stats.refreshReuse).toBe(0);
    const statuses = await s.db.sql<{ status: string }[]>`select status from connections`;
    expect(statuses.map((r) => r.status)).toEqual(USERS.map(() => 'active'));

    // Both processes did the work: activity tasks were started by two worker identities.
    const identities = new Set<string>();
    for (const handle of handles) {
      const history = await handle.fetchHistory();
      for (const event of history.events ?? []) {
        const identity = event.activityTaskStartedEventAttributes?.identity;
        if (identity) identities.add(identity);
      }
    }
    expect(identities.size).toBe(2);
    printFigures('two-workers', {
      rpm: RPM,
      workerProcesses: workers.length,
      users: USERS.length,
      windows: results.reduce((n, r) => n + r.windowsTotal, 0),
      dataRequests: requests,
      budget429: stats.budget429,
      unauthorized401: stats.unauthorized,
      expiries: 2 * USERS.length,
      refreshes: stats.refreshes,
      refreshReuse: stats.refreshReuse,
      recordsCompared: compared,
    });
  });
});
