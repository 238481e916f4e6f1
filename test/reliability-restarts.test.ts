// The backfill's dependencies restarted under it. Each test runs its own server (never the shared
// ones other test files use): its own embedded Postgres, stopped and started on the same data
// directory and port mid-backfill; its own Temporal dev server with persisted state, stopped and
// restarted on the same port and database file. Both times the backfill completes and nothing is lost.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { connectWithTokens, startBackfill } from '../cli/operations.ts';
import { startWhoopSandbox } from '../providers/whoop/sandbox/index.ts';
import type { WhoopSandbox } from '../providers/whoop/sandbox/types.ts';
import { createTokenCipher } from '../store/crypto.ts';
import { connect, type Sql } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { scheduleId } from '../worker/schedules.ts';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../worker/stack/postgres.ts';
import { freePort } from '../worker/stack/processes.ts';
import { startTemporalDevServer, type TemporalDevServer } from '../worker/stack/temporal-server.ts';
import type { backfill } from '../workflows/backfill.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';
import {
  DAY_MS,
  day,
  expectCompleted,
  expectStoredEqualsServed,
  iso,
  printFigures,
  sleep,
} from './support/reliability.ts';
import { createTestTemporal, type TestTemporal } from './support/temporal.ts';
import { waitUntil } from './support/worker-process.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
  cleanups.length = 0;
});

function whoopEnv(sandbox: WhoopSandbox, rpm: number): Record<string, string> {
  return {
    WHOOP_API_URL: sandbox.url,
    WHOOP_TOKEN_URL: sandbox.tokenUrl,
    WHOOP_CLIENT_ID: 'sandbox-client',
    WHOOP_CLIENT_SECRET: 'sandbox-secret',
    WHOOP_REQUESTS_PER_MINUTE: String(rpm),
  };
}

async function connectUser(sql: Sql, temporal: TestTemporal, sandbox: WhoopSandbox, userId: string) {
  const tokens = sandbox.control.issueTokens(userId);
  await connectWithTokens(
    {
      sql,
      client: temporal.client,
      cipher: createTokenCipher(temporal.tokenEncryptionKey),
      config: temporal.config,
    },
    {
      provider: 'whoop',
      userId,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresInSeconds: tokens.expiresIn,
      initialBackfillDays: 0,
    },
  );
  // The quarter-hourly sync schedule would store days past the backfill's range mid-test.
  await temporal.client.schedule.getHandle(scheduleId('whoop', userId)).delete();
}

async function pagesStored(sql: Sql): Promise<number> {
  const [row] = await sql<{ pages: number }[]>`select coalesce(sum(pages), 0)::int as pages from sync_runs`;
  return row?.pages ?? 0;
}

/** The highest attempt of the workflow's pending activities, and the last failure's type if any. */
async function pendingAttempts(handle: WorkflowHandle): Promise<{ attempt: number; failureTypes: string[] }> {
  const { raw } = await handle.describe();
  const pending = raw.pendingActivities ?? [];
  return {
    attempt: Math.max(0, ...pending.map((a) => a.attempt ?? 0)),
    failureTypes: pending.flatMap((a) => {
      const type = a.lastFailure?.applicationFailureInfo?.type;
      return type ? [type] : [];
    }),
  };
}

describe('Postgres restarted mid-backfill', () => {
  it('activities fail with DatabaseUnavailable, are retried, and the backfill completes with nothing lost', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wearhouse-pg-restart-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    let pg: EmbeddedPostgresHandle | undefined = await startEmbeddedPostgres({ dataDir, port });
    cleanups.push(async () => pg?.stop());
    const sql = connect(pg.url, { max: 2 });
    cleanups.push(() => sql.end({ timeout: 1 }));
    await migrate(sql);
    const sandbox = await startWhoopSandbox({ requestsPerMinute: 900 });
    cleanups.push(() => sandbox.close());
    const temporal = await createTestTemporal({ databaseUrl: pg.url, env: whoopEnv(sandbox, 900) });
    cleanups.push(() => temporal.close());
    const worker = await temporal.startWorker();
    await connectUser(sql, temporal, sandbox, 'pia');

    const from = day(-500);
    const to = day(-31);
    const handle = await startBackfill(temporal.client, temporal.config, {
      userId: 'pia',
      provider: 'whoop',
      from: iso(from),
      to: iso(to),
    });
    await waitUntil('some pages stored', async () => (await pagesStored(sql)) >= 20);
    const pagesBefore = await pagesStored(sql);

    await pg.stop();
    pg = undefined;
    // While Postgres is down, activities fail and Temporal keeps retrying them.
    let seen = { attempt: 0, failureTypes: [] as string[] };
    await waitUntil(
      'a failed attempt retried while Postgres is down',
      async () => {
        seen = await pendingAttempts(handle);
        return seen.attempt >= 2 && seen.failureTypes.includes('DatabaseUnavailable');
      },
      30_000,
    );
    await sleep(1_000);
    pg = await startEmbeddedPostgres({ dataDir, port });

    const result = await handle.result();
    expectCompleted(result);
    const compared = await expectStoredEqualsServed(
      sql,
      sandbox,
      'pia',
      from,
      new Date(to.getTime() + DAY_MS),
    );
    // Each record inserted once: pages committed before the stop are not inserted again on retry.
    const [ledger] = await sql<{ inserted: number; records: number }[]>`
      select (select sum(inserted)::int from sync_runs) as inserted, (select count(*)::int from records) as records`;
    expect(ledger?.inserted).toBe(ledger?.records);
    // The outage hit a backfill with most of its work still ahead.
    expect(pagesBefore).toBeLessThan((await pagesStored(sql)) / 2);
    expect(worker.worker.getState()).toBe('RUNNING');
    printFigures('postgres-restart', {
      windows: result.windowsTotal,
      pagesBeforeStop: pagesBefore,
      maxAttemptWhileDown: seen.attempt,
      failureTypesWhileDown: [...new Set(seen.failureTypes)],
      recordsCompared: compared,
    });
  });
});

describe('Temporal dev server restarted (persisted state) mid-backfill', () => {
  it('the workflow resumes where it was and completes; the worker survives the outage', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wearhouse-temporal-restart-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    let server: TemporalDevServer | undefined = await startTemporalDevServer({ dataDir, port });
    cleanups.push(async () => server?.stop());
    const db: TestDatabase = await createTestDatabase();
    cleanups.push(() => db.close());
    const sandbox = await startWhoopSandbox({ requestsPerMinute: 900 });
    cleanups.push(() => sandbox.close());
    const temporal = await createTestTemporal({
      databaseUrl: db.url,
      temporalAddress: server.address,
      env: whoopEnv(sandbox, 900),
    });
    cleanups.push(() => temporal.close());
    let worker = await temporal.startWorker();
    await connectUser(db.sql, temporal, sandbox, 'quinn');

    const from = day(-500);
    const to = day(-31);
    const handle: WorkflowHandle<typeof backfill> = await startBackfill(temporal.client, temporal.config, {
      userId: 'quinn',
      provider: 'whoop',
      from: iso(from),
      to: iso(to),
    });
    await waitUntil('some pages stored', async () => (await pagesStored(db.sql)) >= 20);
    const runId = (await handle.describe()).runId;

    await server.stop();
    server = undefined;
    const pagesWhileDown = await pagesStored(db.sql);
    await sleep(3_000);
    server = await startTemporalDevServer({ dataDir, port });

    // The worker's pollers reconnect by themselves; if the SDK gave up, start a new worker (and say so).
    let workerSurvived = worker.worker.getState() === 'RUNNING';
    if (!workerSurvived) worker = await temporal.startWorker();
    const result = await resultAcrossReconnects(handle);
    workerSurvived &&= worker.worker.getState() === 'RUNNING';
    expectCompleted(result);
    // The same execution went on: the persisted state survived the restart.
    expect((await handle.describe()).runId).toBe(runId);
    const compared = await expectStoredEqualsServed(
      db.sql,
      sandbox,
      'quinn',
      from,
      new Date(to.getTime() + DAY_MS),
    );
    expect(pagesWhileDown).toBeLessThan((await pagesStored(db.sql)) / 2);
    expect(workerSurvived).toBe(true);
    printFigures('temporal-restart', {
      windows: result.windowsTotal,
      pagesWhenStopped: pagesWhileDown,
      downMs: 3_000,
      workerSurvived,
      recordsCompared: compared,
    });
  });
});

/** The result, re-asked while the client's connection comes back after the restart. */
async function resultAcrossReconnects<T>(handle: WorkflowHandle<() => Promise<T>>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await handle.result();
    } catch (error) {
      if (attempt >= 30 || (error as Error).name === 'WorkflowFailedError') throw error;
      await sleep(1_000);
    }
  }
}
