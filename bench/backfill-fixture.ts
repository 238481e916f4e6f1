// A production-shaped backfill setup: an in-process provider sandbox (WHOOP's unless another is
// given; its requests recorded), a fresh migrated database with sandbox users connected, and the
// worker as its own process (`wearhouse worker`), all wired as in production. Shared by the budget,
// efficiency and memory runs.
import type { BackfillOptions, BackfillResult } from '../workflows/backfill.ts';
import { type BenchDatabase, type BenchServices, connectUser, newTaskQueue, runBackfill } from './harness.ts';
import { type BenchProvider, type BenchSandbox, WHOOP_BENCH } from './providers.ts';
import { type RequestRecorder, recordRequests } from './request-recorder.ts';
import { spawnWorker, type WorkerProcess } from './worker-process.ts';

export interface FixtureOptions {
  label: string;
  requestsPerMinute: number;
  /** Default: high enough never to bind. */
  requestsPerDay?: number;
  users: string[];
  /** Default WHOOP. */
  provider?: BenchProvider;
  /** More worker environment (bench/memory.ts: the memory knobs and WORKER_MEMORY_LOG_SECONDS). */
  workerEnv?: Record<string, string>;
}

export interface BackfillRun {
  results: BackfillResult[];
  wallSeconds: number;
  /** performance.now() at start and end. */
  startedAt: number;
  finishedAt: number;
}

export interface BackfillFixture {
  db: BenchDatabase;
  provider: BenchProvider;
  sandbox: BenchSandbox;
  recorder: RequestRecorder;
  worker: WorkerProcess;
  taskQueue: string;
  users: string[];
  /** Starts one backfill per user at once and waits for all of them. */
  backfillAll(
    range: { from: string; to: string; options?: BackfillOptions },
    users?: string[],
  ): Promise<BackfillRun>;
  close(): Promise<void>;
}

export async function startBackfillFixture(
  services: BenchServices,
  options: FixtureOptions,
): Promise<BackfillFixture> {
  const requestsPerDay = options.requestsPerDay ?? 10_000_000;
  const provider = options.provider ?? WHOOP_BENCH;
  const sandbox = await provider.startSandbox({
    requestsPerMinute: options.requestsPerMinute,
    requestsPerDay,
  });
  const recorder = recordRequests(sandbox.url, provider.dataPath);
  const db = await services.createDatabase(options.label);
  for (const user of options.users) {
    await connectUser(services, db.sql, user, sandbox.issueTokens(user), provider.name);
  }
  const taskQueue = newTaskQueue(options.label);
  const worker = spawnWorker({
    databaseUrl: db.url,
    temporalAddress: services.temporalAddress,
    taskQueue,
    tokenKey: services.tokenKey,
    providerEnv: sandbox.env,
    env: options.workerEnv,
  });
  try {
    await worker.ready;
  } catch (error) {
    recorder.stop();
    await sandbox.close();
    throw error;
  }
  return {
    db,
    provider,
    sandbox,
    recorder,
    worker,
    taskQueue,
    users: options.users,
    async backfillAll(range, users = options.users) {
      const startedAt = performance.now();
      const results = await Promise.all(
        users.map((userId) =>
          runBackfill(services, taskQueue, { userId, provider: provider.name, ...range }),
        ),
      );
      const finishedAt = performance.now();
      return { results, wallSeconds: (finishedAt - startedAt) / 1000, startedAt, finishedAt };
    },
    async close() {
      await worker.stop();
      recorder.stop();
      await sandbox.close();
      await db.close();
    },
  };
}

/** Records stored (live) per kind, for one user or all. */
export async function storedRecords(db: BenchDatabase, userIds?: string[]): Promise<number> {
  const [row] = userIds
    ? await db.sql<{ n: number }[]>`
        select count(*)::int as n from records where deleted_at is null and user_id = any(${userIds})`
    : await db.sql<{ n: number }[]>`select count(*)::int as n from records where deleted_at is null`;
  return row?.n ?? 0;
}
