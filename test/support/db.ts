// An isolated database per test file, with every migration applied and the Grafana role's
// password set to a known test value.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { connect, type Sql } from '../../store/db.ts';
import { migrate, setGrafanaPassword } from '../../store/migrate.ts';

export const GRAFANA_TEST_PASSWORD = 'grafana-test';

export interface TestDatabase {
  sql: Sql;
  url: string;
  /** The same database as the Grafana read role. */
  grafanaUrl: string;
  close(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = connect(adminUrl, { max: 1 });
  await admin.unsafe(`create database ${name}`);
  const url = withDatabase(adminUrl, name);
  const sql = connect(url, { max: 5 });
  await migrate(sql);
  await setGrafanaPassword(sql, GRAFANA_TEST_PASSWORD);
  const grafana = new URL(url);
  grafana.username = 'wearhouse_grafana';
  grafana.password = GRAFANA_TEST_PASSWORD;
  return {
    sql,
    url,
    grafanaUrl: grafana.toString(),
    async close() {
      await sql.end();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
