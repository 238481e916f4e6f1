import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationError, migrate } from '../store/migrate.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

describe('migrations', () => {
  it('apply twice without error, the second time doing nothing', async () => {
    const again = await migrate(db.sql);
    expect(again.applied).toEqual([]);
    expect(again.skipped.length).toBeGreaterThanOrEqual(3);
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from schema_migrations`;
    expect(row?.n).toBe(again.skipped.length);
  });

  it('create the tables the pipeline writes', async () => {
    const tables = await db.sql<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = 'public'`;
    const names = tables.map((t) => t.table_name);
    for (const table of [
      'users',
      'connections',
      'records',
      'quarantine',
      'coverage',
      'sync_watermarks',
      'sync_runs',
      'provider_requests',
    ]) {
      expect(names).toContain(table);
    }
  });

  it('roll back a failing migration and name its file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wearhouse-mig-'));
    await writeFile(join(dir, '001_ok.sql'), 'create table mig_ok (id int);');
    await writeFile(
      join(dir, '002_broken.sql'),
      'create table mig_half (id int);\nselect * from no_such_table;',
    );
    const error = await migrate(db.sql, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain('002_broken.sql');
    const [half] = await db.sql`select to_regclass('mig_half') as t`;
    expect(half?.t).toBeNull();
    const [ok] = await db.sql`select to_regclass('mig_ok') as t`;
    expect(ok?.t).not.toBeNull();
  });

  it('run a rebuild of the stored daily rows again when the last one failed', async () => {
    // A stored row no record backs: a rebuild removes it.
    await db.sql`insert into users (id) values ('ghost') on conflict do nothing`;
    await db.sql`insert into daily_summary_rollup (user_id, provider, day) values ('ghost', 'whoop', '2024-01-01')`;
    const ghosts = async () =>
      (
        await db.sql<
          { n: number }[]
        >`select count(*)::int as n from daily_summary_rollup where user_id = 'ghost'`
      )[0]?.n;
    // A migration after the stored rows owes a rebuild; make that rebuild fail.
    await db.sql`alter function wearhouse_rebuild_daily_summary() rename to wearhouse_rebuild_saved`;
    await db.sql`create function wearhouse_rebuild_daily_summary() returns void language plpgsql
                 as $$ begin raise exception 'rebuild interrupted'; end; $$`;
    const dir = await mkdtemp(join(tmpdir(), 'wearhouse-mig-'));
    await writeFile(join(dir, '900_later.sql'), 'create table mig_later (id int);');
    await expect(migrate(db.sql, dir)).rejects.toThrow(/rebuild interrupted/);
    expect(await ghosts()).toBe(1);
    const owed = await db.sql`select what from schema_rebuild_pending`;
    expect(owed).toHaveLength(1);

    await db.sql`drop function wearhouse_rebuild_daily_summary()`;
    await db.sql`alter function wearhouse_rebuild_saved() rename to wearhouse_rebuild_daily_summary`;
    // Nothing left to apply, but the owed rebuild runs, once.
    const again = await migrate(db.sql, dir);
    expect(again.applied).toEqual([]);
    expect(await ghosts()).toBe(0);
    expect(await db.sql`select what from schema_rebuild_pending`).toHaveLength(0);
  });
});
