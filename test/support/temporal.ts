// A real worker on the shared Temporal dev server, with its own task queue per test file, and a
// client to start workflows on it.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { generateKeySpec } from '../../store/crypto.ts';
import { type Config, loadConfig } from '../../worker/config.ts';
import { createLogger, type Logger } from '../../worker/logger.ts';
import { temporalConnectionOptions } from '../../worker/temporal-connection.ts';
import { type RunningWorker, startWorker } from '../../worker/worker.ts';

export interface TestTemporal {
  config: Config;
  client: Client;
  tokenEncryptionKey: string;
  logLines: string[];
  logger: Logger;
  startWorker(overrides?: {
    maxConcurrentActivities?: number;
    poolSize?: number;
    now?: () => Date;
  }): Promise<RunningWorker>;
  close(): Promise<void>;
}

export async function createTestTemporal(options: {
  databaseUrl: string;
  env?: Record<string, string>;
  /** Another Temporal server than the shared one (a test that restarts its own). */
  temporalAddress?: string;
}): Promise<TestTemporal> {
  const config = loadConfig({
    TEMPORAL_TASK_QUEUE: `test-${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'debug',
    ...options.env,
  });
  const logLines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        callback();
      },
    }),
  });
  const address = options.temporalAddress ?? inject('temporalAddress');
  const connection = await Connection.connect(temporalConnectionOptions(config, address));
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const tokenEncryptionKey = generateKeySpec('test1');
  const workers: RunningWorker[] = [];
  return {
    config,
    client,
    tokenEncryptionKey,
    logLines,
    logger,
    async startWorker(overrides = {}) {
      const worker = await startWorker({
        config,
        databaseUrl: options.databaseUrl,
        temporalAddress: address,
        tokenEncryptionKey,
        logger,
        workflowBundlePath: inject('workflowBundlePath'),
        ...overrides,
      });
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.all(workers.map((w) => w.shutdown().catch(() => {})));
      await connection.close();
    },
  };
}
