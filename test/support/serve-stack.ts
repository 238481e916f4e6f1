// `serve` over real HTTP on a free port, wired to a real Postgres, the shared Temporal dev server
// (with a worker on the test's own task queue) and a provider's sandbox (WHOOP by default), as in
// production.
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import { type RunningServe, startServe } from '../../serve/server.ts';
import { createIngestToken } from '../../store/ingest-tokens.ts';
import type { Config } from '../../worker/config.ts';
import { createLogger } from '../../worker/logger.ts';
import { freePort } from '../../worker/stack/processes.ts';
import type { TestDatabase } from './db.ts';
import type { TestTemporal } from './temporal.ts';
import { startWhoopStack, type WhoopStack } from './whoop-stack.ts';

/** What a serve needs from a test stack: its database and Temporal (with a worker). */
interface Backing {
  db: TestDatabase;
  temporal: TestTemporal;
}

export interface ServeOn {
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
  close(): Promise<void>;
}

export interface ServeStack extends WhoopStack, Omit<ServeOn, 'close'> {}

/** `serve` on a free port over any provider's test stack, configured from its Temporal config. */
export async function startServeOn(
  backing: Backing,
  overrides: Partial<Config> = {},
  /** A port chosen beforehand (when the worker must know serve's public URL). */
  chosenPort?: number,
): Promise<ServeOn> {
  const port = chosenPort ?? (await freePort());
  const config: Config = {
    ...backing.temporal.config,
    WEARHOUSE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    INITIAL_BACKFILL_DAYS: 3,
    ...overrides,
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
  const start = (o: { temporalAddress?: string; databaseUrl?: string; port?: number } = {}) =>
    startServe({
      config,
      databaseUrl: o.databaseUrl ?? backing.db.url,
      temporalAddress: o.temporalAddress ?? inject('temporalAddress'),
      tokenEncryptionKey: backing.temporal.tokenEncryptionKey,
      logger,
      port: o.port ?? 0,
      host: '127.0.0.1',
    });
  const serve = await start({ port });
  return {
    serve,
    url: serve.url,
    config,
    serveLog,
    async tokenFor(userId) {
      return (await createIngestToken(backing.db.sql, userId)).token;
    },
    async startAnotherServe(o) {
      const other = await start(o);
      others.push(other);
      return other;
    },
    async close() {
      await Promise.all(others.map((other) => other.close().catch(() => {})));
      await serve.close().catch(() => {});
    },
  };
}

export async function startServeStack(
  options: { env?: Record<string, string>; worker?: boolean } = {},
): Promise<ServeStack> {
  const stack = await startWhoopStack({ env: options.env, worker: options.worker });
  const on = await startServeOn(stack, { WHOOP_AUTH_URL: stack.sandbox.authUrl } as Partial<Config>);
  return {
    ...stack,
    ...on,
    async close() {
      await on.close();
      await stack.close();
    },
  };
}
