// The Grafana role's limits beyond its grants (sql/009_grafana_role_limits.sql): it cannot block
// `wearhouse migrate`, its sessions get the statement, idle-transaction, lock and transaction limits
// and read-only transactions even after it altered its own defaults, and with the limits lifted in
// its own session (which Postgres always allows) it still writes nothing.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../store/migrate.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.close());

const grafana = () => postgres(db.grafanaUrl, { max: 1, onnotice: () => {} });

async function limits(sql: postgres.Sql) {
  const [row] = await sql<Record<string, string>[]>`
    select current_setting('statement_timeout') as statement_timeout,
           current_setting('default_transaction_read_only') as read_only,
           current_setting('idle_in_transaction_session_timeout') as idle_in_transaction,
           current_setting('lock_timeout') as lock_timeout,
           current_setting('transaction_timeout') as transaction_timeout`;
  return row;
}

const LIMITS = {
  statement_timeout: '10s',
  read_only: 'on',
  idle_in_transaction: '30s',
  lock_timeout: '5s',
  transaction_timeout: '1min',
};

describe('the Grafana role', () => {
  it('cannot block `wearhouse migrate`: the advisory lock it can take is not the one migrate uses', async () => {
    const g = grafana();
    try {
      // The lock migrate used to take, held by the Grafana role for as long as it likes.
      await g`select pg_advisory_lock(hashtext('wearhouse:migrate'))`;
      // The lock migrate takes now is out of its reach.
      await expect(g.begin((tx) => tx`lock table schema_migrations in access share mode`)).rejects.toThrow(
        /permission denied/,
      );
      const result = await migrate(db.sql);
      expect(result.applied).toEqual([]);
      expect(result.skipped).toContain('009_grafana_role_limits.sql');
    } finally {
      await g.end();
    }
  }, 20_000);

  it('every new session gets its limits, even after the role altered its own defaults', async () => {
    const g = grafana();
    try {
      expect(await limits(g)).toEqual(LIMITS);
      // Postgres lets any role change its own defaults (ALTER ROLE self, in a read-write transaction).
      await g.begin('read write', async (tx) => {
        await tx`alter role wearhouse_grafana set statement_timeout = 0`;
        await tx`alter role wearhouse_grafana set default_transaction_read_only = off`;
        await tx`alter role wearhouse_grafana set idle_in_transaction_session_timeout = 0`;
      });
      const [altered] = await db.sql<{ setconfig: string[] }[]>`
        select setconfig from pg_db_role_setting
        where setrole = 'wearhouse_grafana'::regrole and setdatabase = 0`;
      expect(altered?.setconfig).toContain('statement_timeout=0');
      // The login trigger pins the limits of the next session regardless.
      const next = grafana();
      try {
        expect(await limits(next)).toEqual(LIMITS);
      } finally {
        await next.end();
      }
    } finally {
      await g.end();
      // The role is shared by every test database: put its defaults back.
      await db.sql`alter role wearhouse_grafana set statement_timeout = '10s'`;
      await db.sql`alter role wearhouse_grafana set default_transaction_read_only = on`;
      await db.sql`alter role wearhouse_grafana set idle_in_transaction_session_timeout = '30s'`;
    }
  });

  it('with every limit lifted in its own session it still writes nothing', async () => {
    const g = grafana();
    try {
      await g`set statement_timeout = 0`;
      await g`set default_transaction_read_only = off`;
      for (const statement of [
        `insert into users (id) values ('intruder')`,
        'create temporary table t (id int)',
        'create table t (id int)',
        'select * from connections',
        'update rate_budget set tat = now()',
        'select * from rate_budget_daily',
      ]) {
        await expect(
          g.begin('read write', (tx) => tx.unsafe(statement)),
          statement,
        ).rejects.toThrow(/permission denied/);
      }
    } finally {
      await g.end();
    }
  });
});
