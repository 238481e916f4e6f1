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
});
