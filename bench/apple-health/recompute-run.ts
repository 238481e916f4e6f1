// `node --import tsx bench/apple-health/recompute-run.ts <export.zip>`: the end-of-import recompute of
// a user's days (wearhouse_refresh_deferred_daily_summary) on a freshly loaded table, timed right after
// the load, after ANALYZE records, and after VACUUM ANALYZE (each in a rolled-back transaction, so each
// recomputes the same days). The batches are stored one after another with the import's own statement
// (store/import-batch.ts) on a fresh embedded cluster. bench/apple-health/REPORT.md, section 5.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appleHealthImporter } from '../../providers/apple_health/importer.ts';
import { connect } from '../../store/db.ts';
import { openFileImport } from '../../store/file-imports.ts';
import { storeImportBatch } from '../../store/import-batch.ts';
import { migrate } from '../../store/migrate.ts';
import { startEmbeddedPostgres } from '../../worker/stack/postgres.ts';
import { freePort } from '../../worker/stack/processes.ts';

const path = process.argv[2] as string;
const dir = await mkdtemp(join(tmpdir(), 'recomp-'));
const pg = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), database: 'postgres' });
const sql = connect(pg.url, { max: 1 });
await migrate(sql);
await sql`insert into users (id) values ('u')`;
await openFileImport(sql, { runId: 'r', workflowId: 'w', provider: 'apple_health', userId: 'u', path });
const source = await appleHealthImporter.open(path);
let from = 0;
let n = 0;
for await (const b of source.batches(0, 2000)) {
  await storeImportBatch(sql, {
    runId: 'r',
    workflowId: 'w',
    provider: 'apple_health',
    userId: 'u',
    fromByte: from,
    toByte: b.endByte,
    elements: b.elements,
    records: b.records,
    quarantined: [],
    routes: 0,
  });
  from = b.endByte;
  n += b.records.length;
}
await source.close();
console.log('records', n);
const time = async (label: string, q: string) => {
  const t = performance.now();
  await sql
    .begin(async (tx) => {
      await tx.unsafe(q);
      throw new Error('rollback');
    })
    .catch((e: Error) => {
      if (e.message !== 'rollback') throw e;
    });
  console.log(label, ((performance.now() - t) / 1000).toFixed(2), 's');
};
await time('deferred, no analyze (1)', `select wearhouse_refresh_deferred_daily_summary('u','apple_health')`);
await time('deferred, no analyze (2)', `select wearhouse_refresh_deferred_daily_summary('u','apple_health')`);
const t = performance.now();
await sql`analyze records`;
console.log('analyze records', ((performance.now() - t) / 1000).toFixed(2), 's');
await time(
  'deferred, after analyze records',
  `select wearhouse_refresh_deferred_daily_summary('u','apple_health')`,
);
await sql`vacuum analyze`;
await time(
  'deferred, after vacuum analyze',
  `select wearhouse_refresh_deferred_daily_summary('u','apple_health')`,
);
await sql.end();
await pg.stop();
