// `serve` over real HTTP on a free port, wired to a real Postgres, the shared Temporal dev server
// (with a worker on the test's own task queue) and the WHOOP sandbox, as in production.
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import { type RunningServe, startServe } from '../../serve/server.ts';
import { createIngestToken } from '../../store/ingest-tokens.ts';
import type { Config } from '../../worker/config.ts';
import { createLogger } from '../../worker/logger.ts';
import { freePort } from '../../worker/stack/processes.ts';
import { startWhoopStack, type WhoopStack } from './whoop-stack.ts';

export interface ServeStack extends WhoopStack {
  serve: RunningServe;
  url: string;
  config: Config;
  /** serve's own log lines (JSON). */
  serveLog: string[];
  tokenFor(userId: string): Promise<string>;
  /** Another serve on the same database (restart tests, a dead Temporal address). */
  startAnotherServe(overrides?: {
    temporalAddress?: string;
    databaseUrl?: string;
    port?: number;
  }): Promise<RunningServe>;
}

export async function startServeStack(
  options: { env?: Record<string, string>; worker?: boolean } = {},
): Promise<ServeStack> {
  const stack = await startWhoopStack({ env: options.env, worker: options.worker });
  const port = await freePort();
  const config: Config = {
    ...stack.temporal.config,
    WHOOP_AUTH_URL: stack.sandbox.authUrl,
    WEARHOUSE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    INITIAL_BACKFILL_DAYS: 3,
  };
  const serveLog: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, callback) {
        serveLog.push(...String(chunk).split('\n').filter(Boolean));
        callback();
      },
    }),
  });
  const others: RunningServe[] = [];
  const start = (overrides: { temporalAddress?: string; databaseUrl?: string; port?: number } = {}) =>
    startServe({
      config,
      databaseUrl: overrides.databaseUrl ?? stack.db.url,
      temporalAddress: overrides.temporalAddress ?? inject('temporalAddress'),
      tokenEncryptionKey: stack.temporal.tokenEncryptionKey,
      logger,
      port: overrides.port ?? 0,
      host: '127.0.0.1',
    });
  const serve = await start({ port });
  return {
    ...stack,
    serve,
    url: serve.url,
    config,
    serveLog,
    async tokenFor(userId) {
      return (await createIngestToken(stack.db.sql, userId)).token;
    },
    async startAnotherServe(overrides) {
      const other = await start(overrides);
      others.push(other);
      return other;
    },
    async close() {
      await Promise.all(others.map((o) => o.close().catch(() => {})));
      await serve.close().catch(() => {});
      await stack.close();
    },
  };
}
