// The bench's own services, started the way test/support/global-setup.ts starts them (vitest's
// `inject` is not available here): an embedded Postgres cluster on a free port and a Temporal dev
// server, plus helpers to create a migrated database per measurement and to connect sandbox users.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startBackfill } from '../cli/operations.ts';
import { saveTokens } from '../store/connections.ts';
import { createTokenCipher, generateKeySpec, type TokenCipher } from '../store/crypto.ts';
import { connect, type Sql } from '../store/db.ts';
import { migrate, setGrafanaPassword } from '../store/migrate.ts';
import { type Config, loadConfig } from '../worker/config.ts';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../worker/stack/postgres.ts';
import { freePort } from '../worker/stack/processes.ts';
import { startTemporalDevServer, type TemporalDevServer } from '../worker/stack/temporal-server.ts';
import { workflowsPath } from '../worker/worker.ts';
import type { BackfillOptions, BackfillResult } from '../workflows/backfill.ts';

export const GRAFANA_BENCH_PASSWORD = 'grafana-bench';
export const DAY_MS = 86_400_000;

export interface BenchDatabase {
  name: string;
  url: string;
  /** The same database as the Grafana read role (wearhouse_grafana). */
  grafanaUrl: string;
  sql: Sql;
  close(): Promise<void>;
}

export interface BenchServices {
  dir: string;
  temporalAddress: string;
  client: Client;
  /** Same key for every worker and every connection of the run. */
  tokenKey: string;
  cipher: TokenCipher;
  createDatabase(label: string): Promise<BenchDatabase>;
  /** Workflow code bundled once, for in-process workers. */
  workflowBundlePath(): Promise<string>;
  postgresVersion(): Promise<string>;
  temporalVersion(): Promise<string>;
  stop(): Promise<void>;
}

export async function startServices(log: (line: string) => void = () => {}): Promise<BenchServices> {
  const dir = await mkdtemp(join(tmpdir(), 'wearhouse-bench-'));
  let pg: EmbeddedPostgresHandle | undefined;
  let temporal: TemporalDevServer | undefined;
  try {
    [pg, temporal] = await Promise.all([
      freePort().then((port) => startEmbeddedPostgres({ dataDir: dir, port, database: 'postgres', log })),
      freePort().then((port) => startTemporalDevServer({ port, log })),
    ]);
  } catch (error) {
    await pg?.stop();
    await temporal?.stop();
    throw error;
  }
  const postgres = pg;
  const server = temporal;
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const admin = connect(postgres.adminUrl('postgres'), { max: 1 });
  const tokenKey = generateKeySpec('bench1');
  const databases: BenchDatabase[] = [];
  let bundle: Promise<string> | undefined;

  return {
    dir,
    temporalAddress: server.address,
    client,
    tokenKey,
    cipher: createTokenCipher(tokenKey),
    async createDatabase(label) {
      const name = `bench_${label}_${randomBytes(3).toString('hex')}`;
      await admin.unsafe(`create database ${name}`);
      const url = postgres.adminUrl(name);
      const sql = connect(url, { max: 4, applicationName: 'wearhouse-bench' });
      await migrate(sql);
      await setGrafanaPassword(sql, GRAFANA_BENCH_PASSWORD);
      const grafana = new URL(url);
      grafana.username = 'wearhouse_grafana';
      grafana.password = GRAFANA_BENCH_PASSWORD;
      const db: BenchDatabase = {
        name,
        url,
        grafanaUrl: grafana.toString(),
        sql,
        async close() {
          await sql.end({ timeout: 5 });
          await admin.unsafe(`drop database if exists ${name} with (force)`);
        },
      };
      databases.push(db);
      return db;
    },
    workflowBundlePath() {
      bundle ??= bundleWorkflowCode({ workflowsPath, logger: quietLogger }).then(async ({ code }) => {
        const path = join(dir, 'workflow-bundle.js');
        await writeFile(path, code);
        return path;
      });
      return bundle;
    },
    async postgresVersion() {
      const [row] = await admin<{ version: string }[]>`select version()`;
      return row?.version ?? 'unknown';
    },
    async temporalVersion() {
      const info = await connection.workflowService.getSystemInfo({});
      return info.serverVersion ?? 'unknown';
    },
    async stop() {
      for (const db of databases) await db.close().catch(() => {});
      await admin.end({ timeout: 5 });
      await connection.close();
      await server.stop();
      await postgres.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A Config for starting workflows on `taskQueue` (only the queue matters to the client side). */
export function clientConfig(taskQueue: string): Config {
  return loadConfig({ TEMPORAL_TASK_QUEUE: taskQueue });
}

export function newTaskQueue(label: string): string {
  return `bench-${label}-${randomBytes(3).toString('hex')}`;
}

/** Stores a sandbox token pair as the user's connection (no sync schedule, no backfill); WHOOP by default. */
export async function connectUser(
  services: BenchServices,
  sql: Sql,
  userId: string,
  tokens: { accessToken: string; refreshToken: string; expiresIn: number },
  provider = 'whoop',
): Promise<void> {
  await saveTokens(sql, services.cipher, provider, userId, {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: new Date(Date.now() + tokens.expiresIn * 1000),
  });
}

export async function runBackfill(
  services: BenchServices,
  taskQueue: string,
  input: { userId: string; from: string; to: string; options?: BackfillOptions; provider?: string },
): Promise<BackfillResult> {
  const handle = await startBackfill(services.client, clientConfig(taskQueue), {
    provider: 'whoop',
    ...input,
  } as never);
  return handle.result();
}

/** YYYY-MM-DD of today + offsetDays (UTC). */
export function isoDay(offsetDays: number, now = Date.now()): string {
  return new Date(Math.floor(now / DAY_MS + offsetDays) * DAY_MS).toISOString().slice(0, 10);
}

const noop = () => {};
export const quietLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: console.error,
  log: noop,
};
