// Building and running the wearhouse worker: Temporal connection, workflows, activities with
// their dependencies (Postgres, provider clients, token cipher, metrics), graceful shutdown.
import { getHeapStatistics } from 'node:v8';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { createSharedBudget } from '../providers/rate-budget.ts';
import { createProviderRuntimes, providerBudgets } from '../providers/registry.ts';
import { createTokenCipher } from '../store/crypto.ts';
import { connect, type Sql } from '../store/db.ts';
import { upsertProviders } from '../store/providers.ts';
import { createRequestLog } from '../store/request-log.ts';
import { activityBudgetLane } from './activity-budget-lane.ts';
import { activityLogFields } from './activity-log-fields.ts';
import { keepBudgetPlanCurrent } from './budget-plan.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { startMemoryLog } from './memory-log.ts';
import { createWorkerMetrics } from './metrics.ts';
import { assertMetricsPortFree } from './metrics-port.ts';
import { expectShutdownNoise, installRuntime, runtimeInstalled } from './runtime.ts';
import { pauseSchedule } from './schedules.ts';
import { ensureSubscriptionSchedules } from './subscription-schedules.ts';
import { temporalConnectionOptions } from './temporal-connection.ts';
import { bundleInChildProcess, type TemporaryBundle } from './workflow-bundle.ts';

export { workflowsPath } from './workflow-bundle.ts';

export interface WorkerSetup {
  config: Config;
  databaseUrl: string;
  temporalAddress: string;
  tokenEncryptionKey: string;
  logger: Logger;
  /**
   * A pre-built workflow bundle (tests build it once); else WORKER_WORKFLOW_BUNDLE; else the code is
   * bundled at start in a child process (worker/workflow-bundle.ts says why not in this one).
   */
  workflowBundlePath?: string;
  metricsBindAddress?: string;
  /** Overrides WORKER_ACTIVITY_CONCURRENCY. */
  maxConcurrentActivities?: number;
  /** The clock activities plan by (tests pin it to a fixed day); the system clock otherwise. */
  now?: () => Date;
  /** Overrides poolSizeFor(concurrency); tests use a pool far below the concurrency. */
  poolSize?: number;
}

/**
 * The one place the worker's Postgres pool is sized: one connection per concurrently running
 * activity, plus two for what runs beside them (the request ledger's flush, the budget's pause
 * writes). Nothing holds a connection while it waits for another one, a lock or HTTP (token refresh:
 * activities/tokens.ts), so a smaller pool only makes activities queue for a connection, never
 * deadlock; a larger one would only hold idle connections.
 */
export function poolSizeFor(concurrency: number): number {
  return concurrency + 2;
}

export interface RunningWorker {
  worker: Worker;
  sql: Sql;
  /** Resolves when the worker has stopped (after shutdown() or a fatal error). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorker(setup: WorkerSetup): Promise<RunningWorker> {
  const { config, logger } = setup;
  const concurrency = setup.maxConcurrentActivities ?? config.WORKER_ACTIVITY_CONCURRENCY;
  // Only before the Runtime binds it: a second worker in this process shares the first one's endpoint.
  if (setup.metricsBindAddress && !runtimeInstalled()) await assertMetricsPortFree(setup.metricsBindAddress);
  installRuntime(logger, { metricsBindAddress: setup.metricsBindAddress });
  // The native connection keeps the Runtime alive (it shuts down when its last connection and worker
  // close, and a later worker in the process gets a new one), so the meter is taken after it.
  const connection = await NativeConnection.connect(temporalConnectionOptions(config, setup.temporalAddress));
  const metrics = createWorkerMetrics(Runtime.instance().metricMeter);
  const sql = connect(setup.databaseUrl, {
    max: setup.poolSize ?? poolSizeFor(concurrency),
    applicationName: 'wearhouse-worker',
  });
  let stopping = false;
  const requestLog = createRequestLog(sql, {
    // Once shutting down, the database may already be going too (Ctrl-C reaches it as well).
    onError: (error) =>
      logger[stopping ? 'debug' : 'warn']({ err: String(error) }, 'could not store request counters'),
  });
  const clientConnection = await Connection.connect(temporalConnectionOptions(config, setup.temporalAddress));
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  // Dashboards read provider names and budgets from the `providers` table, as configured here.
  await upsertProviders(sql, providerBudgets(config));
  const providers = createProviderRuntimes(config, {
    logger,
    budgetFor: (name, limits, budgetLogger) =>
      createSharedBudget(sql, name, limits.perMinute, {
        requestsPerDay: limits.perDay,
        logger: budgetLogger,
      }),
    onRequest: (event) => {
      requestLog.record(event);
      metrics.request(event);
    },
  });
  // Providers whose webhooks need subscriptions that expire: a schedule keeps them (docs/operating.md).
  await ensureSubscriptionSchedules(client, {
    providers,
    publicUrl: config.WEARHOUSE_PUBLIC_URL,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    logger,
  });
  const cipher = createTokenCipher(setup.tokenEncryptionKey, config.TOKEN_ENCRYPTION_OLD_KEYS);
  const activities = createActivities({
    sql,
    providers,
    cipher,
    logger,
    rescoreLookbackDays: config.RESCORE_LOOKBACK_DAYS,
    importBatchElements: config.IMPORT_BATCH_ELEMENTS,
    now: setup.now,
    onReauthRequired: (provider, userId, reason) => pauseSchedule(client, provider, userId, reason, logger),
    metrics,
  });
  const prebuilt = setup.workflowBundlePath ?? config.WORKER_WORKFLOW_BUNDLE;
  const temporary: TemporaryBundle | undefined = prebuilt ? undefined : await bundleInChildProcess();
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundle: { codePath: prebuilt ?? (temporary as TemporaryBundle).path },
    activities,
    interceptors: { activity: [activityLogFields, activityBudgetLane] },
    maxConcurrentActivityTaskExecutions: concurrency,
    // Temporal sizes this cache from the heap limit (thousands of runs); each cached run holds its
    // workflow state in the workflow thread. Evicted runs replay from history when they next wake.
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
  }).finally(() => temporary?.remove());
  const stopMemoryLog = startMemoryLog(logger, config.WORKER_MEMORY_LOG_SECONDS);
  logger.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      namespace: config.TEMPORAL_NAMESPACE,
      temporal: setup.temporalAddress,
      // Whether NODE_OPTIONS' heap cap is in effect (docs/operating.md, _Worker memory_).
      heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 1_048_576),
    },
    'worker started',
  );
  // The sync intervals follow the number of connections and the day budget (docs/architecture.md,
  // "The budget plan"): recomputed now and hourly, by every worker alike.
  const planner = keepBudgetPlanCurrent({ sql, client, config, logger });
  const done = worker.run().finally(async () => {
    stopMemoryLog();
    planner.stop();
    await requestLog.close();
    await connection.close();
    await clientConnection.close();
    await sql.end({ timeout: 5 });
    logger.info('worker stopped');
  });
  return {
    worker,
    sql,
    done,
    async shutdown() {
      stopping = true;
      expectShutdownNoise();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
