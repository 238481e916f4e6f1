// What every CLI command needs: validated config, a logger, and where Postgres and Temporal are —
// from the environment, else from the running dev stack (.data/stack.json), else an error that
// says how to start one.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createTokenCipher } from '../store/crypto.ts';
import { connect, type Sql } from '../store/db.ts';
import type { Config } from '../worker/config.ts';
import { temporalConnectionOptions } from '../worker/temporal-connection.ts';

export interface Endpoints {
  databaseUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  tokenEncryptionKey: string;
}

const stackFile = (config: Config) => resolve(config.WEARHOUSE_DATA_DIR, 'stack.json');

export async function writeStackFile(config: Config, endpoints: Endpoints): Promise<void> {
  const { tokenEncryptionKey: _key, ...visible } = endpoints;
  await writeFile(stackFile(config), `${JSON.stringify(visible, null, 2)}\n`, { mode: 0o600 });
}

export async function removeStackFile(config: Config): Promise<void> {
  await rm(stackFile(config), { force: true });
}

export async function resolveEndpoints(config: Config): Promise<Endpoints> {
  let running: Partial<Endpoints> = {};
  if (existsSync(stackFile(config))) running = JSON.parse(await readFile(stackFile(config), 'utf8'));
  const databaseUrl = config.DATABASE_URL ?? running.databaseUrl;
  const temporalAddress = config.TEMPORAL_ADDRESS ?? running.temporalAddress;
  if (!databaseUrl || !temporalAddress) {
    throw new Error(
      'No DATABASE_URL / TEMPORAL_ADDRESS set and no running dev stack found: start one with `npx wearhouse dev` (or set both variables)',
    );
  }
  const keyFile = resolve(config.WEARHOUSE_DATA_DIR, 'token-encryption.key');
  const tokenEncryptionKey =
    config.TOKEN_ENCRYPTION_KEY ??
    (existsSync(keyFile) ? (await readFile(keyFile, 'utf8')).trim() : undefined);
  if (!tokenEncryptionKey)
    throw new Error('TOKEN_ENCRYPTION_KEY is not set (and no dev key exists in the data dir)');
  return { databaseUrl, temporalAddress, temporalUiUrl: running.temporalUiUrl, tokenEncryptionKey };
}

export async function openClients(
  config: Config,
  endpoints: Endpoints,
): Promise<{ sql: Sql; client: Client; close(): Promise<void> }> {
  const sql = connect(endpoints.databaseUrl, { max: 2, applicationName: 'wearhouse-cli' });
  const connection = await Connection.connect(temporalConnectionOptions(config, endpoints.temporalAddress));
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  return {
    sql,
    client,
    async close() {
      await connection.close();
      await sql.end();
    },
  };
}

export function cipherFor(config: Config, endpoints: Endpoints) {
  return createTokenCipher(endpoints.tokenEncryptionKey, config.TOKEN_ENCRYPTION_OLD_KEYS);
}
