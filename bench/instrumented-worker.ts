// The production worker assembled as worker/worker.ts assembles it (same activities, providers, shared
// budget, request log, metrics, log interceptor, bundled workflows), in this process, with timers
// around the seams: every provider request (the client's own latency event), every Postgres query or
// transaction the activities issue, and every activity. Only observation is added; nothing is replaced.
import { Writable } from 'node:stream';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { createSharedBudget } from '../providers/rate-budget.ts';
import { createProviderRuntimes } from '../providers/registry.ts';
import { createTokenCipher } from '../store/crypto.ts';
import { connect, type Sql } from '../store/db.ts';
import { createRequestLog } from '../store/request-log.ts';
import { activityLogFields } from '../worker/activity-log-fields.ts';
import { loadConfig } from '../worker/config.ts';
import { createLogger } from '../worker/logger.ts';
import { createWorkerMetrics } from '../worker/metrics.ts';
import { installRuntime } from '../worker/runtime.ts';

export interface Timer {
  count: number;
  ms: number;
}

export interface Instruments {
  http: Timer;
  db: Timer;
  activities: Record<string, Timer>;
  reset(): void;
}

export interface InstrumentedWorker {
  instruments: Instruments;
  shutdown(): Promise<void>;
}

export async function startInstrumentedWorker(options: {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  tokenKey: string;
  workflowBundlePath: string;
  apiUrl: string;
  tokenUrl: string;
  requestsPerMinute: number;
}): Promise<InstrumentedWorker> {
  const config = loadConfig({
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    WHOOP_API_URL: options.apiUrl,
    WHOOP_TOKEN_URL: options.tokenUrl,
    WHOOP_CLIENT_ID: 'sandbox-client',
    WHOOP_CLIENT_SECRET: 'sandbox-secret',
    WHOOP_REQUESTS_PER_MINUTE: String(options.requestsPerMinute),
    WHOOP_REQUESTS_PER_DAY: '10000000',
  });
  // Production log level, written to a sink: the logging cost stays in, the output does not.
  const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const logger = createLogger({ level: 'info', destination: sink });
  const instruments: Instruments = {
    http: { count: 0, ms: 0 },
    db: { count: 0, ms: 0 },
    activities: {},
    reset() {
      this.http = { count: 0, ms: 0 };
      this.db = { count: 0, ms: 0 };
      this.activities = {};
    },
  };
  installRuntime(logger);
  // As worker/worker.ts: the native connection first, then the meter (the Runtime lives with it).
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const metrics = createWorkerMetrics(Runtime.instance().metricMeter);
  const sql = connect(options.databaseUrl, { max: 10, applicationName: 'wearhouse-worker' });
  const requestLog = createRequestLog(sql);
  const providers = createProviderRuntimes(config, {
    logger,
    budgetFor: (name, limits, budgetLogger) =>
      createSharedBudget(sql, name, limits.perMinute, { logger: budgetLogger }),
    onRequest: (event) => {
      instruments.http.count++;
      instruments.http.ms += event.latencyMs;
      requestLog.record(event);
      metrics.request(event);
    },
  });
  const activities = createActivities({
    sql: timedSql(sql, () => instruments.db),
    providers,
    cipher: createTokenCipher(options.tokenKey),
    logger,
    rescoreLookbackDays: config.RESCORE_LOOKBACK_DAYS,
    metrics,
  });
  const timedActivities = Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        const t = performance.now();
        try {
          return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        } finally {
          instruments.activities[name] ??= { count: 0, ms: 0 };
          const timer = instruments.activities[name];
          timer.count++;
          timer.ms += performance.now() - t;
        }
      },
    ]),
  );
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: options.taskQueue,
    workflowBundle: { codePath: options.workflowBundlePath },
    activities: timedActivities,
    interceptors: { activity: [activityLogFields] },
    maxConcurrentActivityTaskExecutions: 20,
  });
  const done = worker.run().finally(async () => {
    await requestLog.close();
    await connection.close();
    await sql.end({ timeout: 5 });
  });
  return {
    instruments,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

/**
 * The pool as activities see it, timing each awaited tagged-template query and each transaction
 * (`begin`, timed whole: the statements inside run on its connection). Fragments and helpers pass
 * through untouched: a query is timed only when it is awaited (its `then` is called).
 */
function timedSql(sql: Sql, timer: () => Timer): Sql {
  const record = (t: number) => {
    const target = timer();
    target.count++;
    target.ms += performance.now() - t;
  };
  return new Proxy(sql, {
    apply(target, thisArg, args: unknown[]) {
      const query = Reflect.apply(target, thisArg, args) as unknown;
      const isTemplate = Array.isArray(args[0]) && Object.hasOwn(args[0] as object, 'raw');
      if (!isTemplate || typeof (query as PromiseLike<unknown>)?.then !== 'function') return query;
      const pending = query as PromiseLike<unknown>;
      const then = pending.then;
      // An own `then` shadows the query's: the timer starts when the query is awaited (and so runs).
      Object.defineProperty(pending, 'then', {
        configurable: true,
        value(onFulfilled?: (value: unknown) => unknown, onRejected?: (error: unknown) => unknown) {
          const t = performance.now();
          return then.call(
            pending,
            (value) => {
              record(t);
              return onFulfilled ? onFulfilled(value) : value;
            },
            (error: unknown) => {
              record(t);
              if (onRejected) return onRejected(error);
              throw error;
            },
          );
        },
      });
      return pending;
    },
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== 'begin' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const t = performance.now();
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).finally(() => record(t));
      };
    },
  });
}
