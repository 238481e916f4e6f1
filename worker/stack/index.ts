// The embedded dev stack (`wearhouse dev`, `demo`, and the tests): Postgres and Temporal from the
// environment when given, otherwise started here with state under the data directory.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { generateKeySpec } from '../../store/crypto.ts';
import { connect } from '../../store/db.ts';
import { migrate, setGrafanaPassword } from '../../store/migrate.ts';
import type { Config } from '../config.ts';
import { startEmbeddedPostgres } from './postgres.ts';
import { startTemporalDevServer } from './temporal-server.ts';

export interface Stack {
  databaseUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  tokenEncryptionKey: string;
  /** Stops what this stack started (never external services). */
  stop(): Promise<void>;
}

export interface StackOptions {
  log?: (message: string) => void;
}

export async function startStack(config: Config, options: StackOptions = {}): Promise<Stack> {
  const log = options.log ?? (() => {});
  const dataDir = resolve(config.WEARHOUSE_DATA_DIR);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => {});
  };
  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      log(`Starting embedded Postgres (data in ${dataDir}/postgres, port ${config.WEARHOUSE_PG_PORT})…`);
      const pg = await startEmbeddedPostgres({ dataDir, port: config.WEARHOUSE_PG_PORT });
      stops.push(pg.stop);
      databaseUrl = pg.url;
    }
    const sql = connect(databaseUrl, { max: 1 });
    try {
      const { applied } = await migrate(sql);
      if (applied.length) log(`Applied migrations: ${applied.join(', ')}`);
      if (config.GRAFANA_DB_PASSWORD) await setGrafanaPassword(sql, config.GRAFANA_DB_PASSWORD);
    } finally {
      await sql.end();
    }

    let temporalAddress = config.TEMPORAL_ADDRESS;
    let temporalUiUrl: string | undefined;
    if (!temporalAddress) {
      log(`Starting Temporal dev server (state in ${dataDir}/temporal.db)…`);
      const temporal = await startTemporalDevServer({
        dataDir,
        port: config.WEARHOUSE_TEMPORAL_PORT,
        uiPort: config.WEARHOUSE_TEMPORAL_UI_PORT,
        namespace: config.TEMPORAL_NAMESPACE,
        log: (line) => log(`[temporal] ${line}`),
      });
      stops.push(temporal.stop);
      temporalAddress = temporal.address;
      temporalUiUrl = temporal.uiUrl;
    }
    const tokenEncryptionKey = config.TOKEN_ENCRYPTION_KEY ?? (await devEncryptionKey(dataDir));
    return { databaseUrl, temporalAddress, temporalUiUrl, tokenEncryptionKey, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Dev only: a key generated once into the data directory when TOKEN_ENCRYPTION_KEY is unset. */
async function devEncryptionKey(dataDir: string): Promise<string> {
  const file = resolve(dataDir, 'token-encryption.key');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(dataDir, { recursive: true });
  const spec = generateKeySpec('dev1');
  await writeFile(file, `${spec}\n`, { mode: 0o600 });
  return spec;
}
