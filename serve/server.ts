// Running `serve`: Postgres pool, a lazy Temporal connection (serve starts, and /health says 503,
// while Temporal is down), the app, the sweeper; close() stops taking requests, lets in-flight ones
// finish (Fastify's close waits for them), then releases the connections.
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { createSharedBudget } from '../providers/rate-budget.ts';
import { createProviderRuntimes, type ProviderRuntimes } from '../providers/registry.ts';
import { createTokenCipher } from '../store/crypto.ts';
import { connect } from '../store/db.ts';
import type { Config } from '../worker/config.ts';
import type { Logger } from '../worker/logger.ts';
import { temporalConnectionOptions } from '../worker/temporal-connection.ts';
import { buildApp } from './app.ts';
import { createDispatcher, type Dispatcher } from './dispatch.ts';
import { createServeMetrics } from './metrics.ts';

const TEMPORAL_DEADLINE_MS = 5000;

export interface ServeSetup {
  config: Config;
  databaseUrl: string;
  temporalAddress: string;
  tokenEncryptionKey: string;
  logger: Logger;
  /** Overrides WEARHOUSE_HTTP_PORT (tests pass 0 for a free port). */
  port?: number;
  host?: string;
  sweepIntervalMs?: number;
  /** Default: every provider module's runtime. */
  providers?: ProviderRuntimes;
}

export interface RunningServe {
  url: string;
  app: FastifyInstance;
  dispatcher: Dispatcher;
  close(): Promise<void>;
}

export async function startServe(setup: ServeSetup): Promise<RunningServe> {
  const { config, logger } = setup;
  const sql = connect(setup.databaseUrl, { max: 20, applicationName: 'wearhouse-serve' });
  const connection = Connection.lazy(temporalConnectionOptions(config, setup.temporalAddress));
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const cipher = createTokenCipher(setup.tokenEncryptionKey, config.TOKEN_ENCRYPTION_OLD_KEYS);
  // The same app-wide budgets the worker uses: a code exchange or a profile read spends from them.
  const providers =
    setup.providers ??
    createProviderRuntimes(config, {
      logger,
      budgetFor: (name, limits, budgetLogger) =>
        createSharedBudget(sql, name, limits.perMinute, { logger: budgetLogger }),
    });
  const metrics = createServeMetrics(sql);
  // Every Temporal call has a deadline (a down Temporal must not hold a request or the shutdown),
  // and close() waits for the calls in flight before it closes the connection under them.
  const inFlight = new Set<Promise<unknown>>();
  const call = <T>(fn: () => Promise<T>): Promise<T> => {
    const promise = connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, fn);
    inFlight.add(promise);
    promise.then(
      () => inFlight.delete(promise),
      () => inFlight.delete(promise),
    );
    return promise;
  };
  const dispatcher = createDispatcher({ sql, client, taskQueue: config.TEMPORAL_TASK_QUEUE, logger, call });
  const app = await buildApp({
    config,
    sql,
    cipher,
    logger,
    metrics,
    dispatcher,
    providers,
    temporal: {
      client,
      ping: () =>
        connection
          .withDeadline(Date.now() + 3000, () => connection.workflowService.getSystemInfo({}))
          .then(() => {}),
    },
  });
  await app.listen({ port: setup.port ?? config.WEARHOUSE_HTTP_PORT, host: setup.host ?? '0.0.0.0' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.WEARHOUSE_HTTP_PORT;
  const url = `http://127.0.0.1:${port}`;
  dispatcher.startSweeper(setup.sweepIntervalMs ?? 60_000);
  logger.info({ port, taskQueue: config.TEMPORAL_TASK_QUEUE }, 'serve listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    dispatcher,
    close() {
      closing ??= (async () => {
        await dispatcher.stop();
        await app.close();
        await Promise.allSettled([...inFlight]);
        await connection.close().catch(() => {});
        await sql.end({ timeout: 5 });
        logger.info('serve stopped');
      })();
      return closing;
    },
  };
}
