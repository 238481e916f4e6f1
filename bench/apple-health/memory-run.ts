// `node --max-old-space-size=160 --import tsx bench/apple-health/memory-run.ts [--mb 100]`: the import
// activity in-process (MockActivityEnvironment, a temporary embedded Postgres) on a generated export,
// printing RSS and V8 heap every ~50,000 elements: the import's live memory, without the worker's
// floor (Temporal runtime, workflow bundle). With the old space capped it must not run out of memory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createImportFileActivities, type ImportProgress } from '../../activities/import-file.ts';
import { fileImporters } from '../../providers/file-importers.ts';
import { connect } from '../../store/db.ts';
import { migrate } from '../../store/migrate.ts';
import { writeExportXml } from '../../test/support/apple-export/write.ts';
import { startEmbeddedPostgres } from '../../worker/stack/postgres.ts';
import { freePort } from '../../worker/stack/processes.ts';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '100' } } });
const dir = await mkdtemp(join(tmpdir(), 'wearhouse-apple-memory-'));
const path = join(dir, 'export.xml');
await writeExportXml(path, { targetBytes: Number(values.mb) * 1e6 });
const pg = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), database: 'postgres' });
const sql = connect(pg.url, { max: 2 });
try {
  await migrate(sql);
  const quiet = { child: () => quiet, debug() {}, info() {}, warn() {} };
  let next = 0;
  const { importFileSlice } = createImportFileActivities({
    sql,
    importers: fileImporters,
    logger: quiet,
    afterBatch: (p) => {
      if (p.elements < next) return;
      next = p.elements + 50_000;
      const m = process.memoryUsage();
      const mb = (n: number) => Math.round(n / 1e6);
      console.log(
        `${mb(p.bytesDone)} MB into the file: rss ${mb(m.rss)} MB, heapUsed ${mb(m.heapUsed)} MB, heapTotal ${mb(m.heapTotal)} MB`,
      );
    },
  });
  const env = new MockActivityEnvironment({
    workflowExecution: { workflowId: 'memory', runId: 'memory' },
  } as never);
  const result: ImportProgress = await env.run(importFileSlice, {
    provider: 'apple_health',
    userId: 'memory',
    path,
    sliceSeconds: 3600,
  });
  console.log(`done: ${result.records} records, ${result.inserted} inserted`);
} finally {
  await sql.end();
  await pg.stop();
  await rm(dir, { recursive: true, force: true });
}
