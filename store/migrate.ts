// Applies sql/NNN_*.sql in order, each in its own transaction, recorded in schema_migrations.
// Idempotent: applied files are skipped; a changed applied file is an error (migrations are append-only).
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './db.ts';

export const migrationsDir = fileURLToPath(new URL('../sql/', import.meta.url));

export class MigrationError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(
      `Migration ${file} failed and was rolled back: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'MigrationError';
  }
}

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

export async function migrate(sql: Sql, dir = migrationsDir): Promise<MigrationResult> {
  const files = (await readdir(dir)).filter((name) => /^\d{3}_[\w-]+\.sql$/.test(name)).sort();
  await sql`create table if not exists schema_migrations (
    name text primary key, checksum text not null, applied_at timestamptz not null default now())`;
  // A rebuild owed by applied migrations, recorded in their transaction and cleared in the rebuild's:
  // a rebuild that failed (or a process killed during it) is run again by the next migrate.
  await sql`create table if not exists schema_rebuild_pending (
    what text primary key, since timestamptz not null default now())`;
  const result: MigrationResult = { applied: [], skipped: [] };
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    const checksum = createHash('sha256').update(text).digest('hex');
    const applied = await sql.begin(async (tx) => {
      // Serialise concurrent migrators (two workers starting at once) on a lock of the ledger table
      // itself (SHARE ROW EXCLUSIVE conflicts with itself, not with readers). Not an advisory lock:
      // any role can take one of those, so the Grafana role could block every migration; this table
      // grants it nothing, and Postgres checks the privilege before queueing for the lock.
      await tx`lock table schema_migrations in share row exclusive mode`;
      const [existing] = await tx<
        { checksum: string }[]
      >`select checksum from schema_migrations where name = ${file}`;
      if (existing) {
        if (existing.checksum !== checksum) {
          throw new MigrationError(
            file,
            new Error('the file changed after it was applied; add a new migration'),
          );
        }
        return false;
      }
      try {
        await tx.unsafe(text);
      } catch (error) {
        throw new MigrationError(file, error);
      }
      await tx`insert into schema_migrations (name, checksum) values (${file}, ${checksum})`;
      if (file > DAILY_ROLLUP_MIGRATION) {
        await tx`insert into schema_rebuild_pending (what) values (${DAILY_ROWS}) on conflict do nothing`;
      }
      return true;
    });
    (applied ? result.applied : result.skipped).push(file);
  }
  // A later migration may change what a typed view returns (a new provider branch): the stored
  // daily rows are recomputed once, after the whole batch (docs/views.md, "Stored daily rows"), or
  // now if an earlier migrate's rebuild never finished.
  await sql.begin(async (tx) => {
    const [owed] = await tx`delete from schema_rebuild_pending where what = ${DAILY_ROWS} returning what`;
    if (!owed) return;
    await tx`select wearhouse_rebuild_daily_summary()
             where to_regproc('wearhouse_rebuild_daily_summary') is not null`;
  });
  return result;
}

/** The migration that stores daily_summary's rows (it fills them itself). */
const DAILY_ROLLUP_MIGRATION = '080_daily_summary_rollup.sql';
const DAILY_ROWS = 'stored daily rows';

/** The Grafana role's password comes from the environment, never from a migration file. */
export async function setGrafanaPassword(sql: Sql, password: string): Promise<void> {
  await sql.unsafe(`alter role wearhouse_grafana password ${quoteLiteral(password)}`);
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
