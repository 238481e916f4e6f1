// `node --import tsx bench/apple-health/pg-costs-run.ts --file <export.zip> [--batch 2000]
//   [--setting name=value …] [--drop-index name …] [--segment-mb 100] [--json FILE]`
// Where a large import's time goes on Postgres' side (bench/apple-health/REPORT.md, section 5): the
// import activity in-process (MockActivityEnvironment) on a fresh embedded cluster, with per-segment
// rates, WAL volume and full-page images (pg_stat_wal), checkpoints and Postgres CPU; the one
// end-of-import recompute of the user's days timed on its own; and the cost of one batch on the
// empty and on the full table, with every index of `records` and without the ones named by
// --drop-index (dropped inside a rolled-back transaction). --setting overrides a server setting of
// the embedded cluster (worker/stack/postgres.ts) for this run only, to compare settings.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createImportFileActivities, type ImportProgress } from '../../activities/import-file.ts';
import { appleHealthImporter } from '../../providers/apple_health/importer.ts';
import type { ImportBatch } from '../../providers/file-import.ts';
import { fileImporters } from '../../providers/file-importers.ts';
import { connect, type Sql } from '../../store/db.ts';
import { openFileImport } from '../../store/file-imports.ts';
import { storeImportBatch } from '../../store/import-batch.ts';
import { migrate } from '../../store/migrate.ts';
import { startEmbeddedPostgres } from '../../worker/stack/postgres.ts';
import { freePort } from '../../worker/stack/processes.ts';

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    batch: { type: 'string', default: '2000' },
    setting: { type: 'string', multiple: true, default: [] },
    'drop-index': { type: 'string', multiple: true, default: [] },
    'segment-mb': { type: 'string', default: '100' },
    'probe-batches': { type: 'string', default: '5' },
    json: { type: 'string' },
  },
});
if (!values.file) throw new Error('--file <export.zip> is required');
const path = values.file;
const batchElements = Number(values.batch);
const settings = Object.fromEntries(values.setting.map((s) => s.split('=', 2) as [string, string]));
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const now = () => Number(process.hrtime.bigint()) / 1e9;
const ticks = 100; // USER_HZ

const dir = await mkdtemp(join(tmpdir(), 'wearhouse-pg-costs-'));
const checkpointLines: string[] = [];
const pg = await startEmbeddedPostgres({
  dataDir: dir,
  port: await freePort(),
  database: 'postgres',
  settings,
  log: (line) => {
    if (/checkpoint complete/.test(line)) checkpointLines.push(line);
  },
});
const sql = connect(pg.url, { max: 3 });
const postmaster = Number((await readFile(join(dir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);

/** CPU seconds of the cluster's live processes (the postmaster's children). */
async function postgresCpuSeconds(): Promise<number> {
  let total = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) !== postmaster && Number(pid) !== postmaster) continue;
    total += (Number(fields[11]) + Number(fields[12])) / ticks;
  }
  return total;
}

async function walStats(db: Sql) {
  const [w] = await db<{ bytes: number; fpi: number }[]>`
    select wal_bytes::float8 as bytes, wal_fpi::float8 as fpi from pg_stat_wal`;
  const [c] = await db<{ timed: number; requested: number; written: number }[]>`
    select num_timed::int as timed, num_requested::int as requested, buffers_written::int as written
      from pg_stat_checkpointer`;
  return {
    walMb: (w?.bytes ?? 0) / 1e6,
    fpi: w?.fpi ?? 0,
    timed: c?.timed ?? 0,
    requested: c?.requested ?? 0,
    written: c?.written ?? 0,
  };
}

/** The first batches of the file, their keys made new so that every row is an insert. */
async function probeBatches(n: number): Promise<ImportBatch[]> {
  const source = await appleHealthImporter.open(path);
  const out: ImportBatch[] = [];
  // Batches from several places in the file (it is ordered by type): skip ahead between them.
  let i = 0;
  for await (const batch of source.batches(0, batchElements)) {
    if (i++ % 97 !== 0) continue;
    out.push({ ...batch, records: batch.records.map((r) => ({ ...r, sourceId: `${r.sourceId}:probe` })) });
    if (out.length === n) break;
  }
  await source.close();
  return out;
}

/** Milliseconds per batch of storeImportBatch in a transaction that is rolled back. */
async function probe(batches: ImportBatch[], drop: readonly string[]): Promise<number[]> {
  const ms: number[] = [];
  await sql
    .begin(async (tx) => {
      for (const name of drop) await tx.unsafe(`drop index ${name}`);
      const row = await openFileImport(tx, {
        runId: 'probe',
        workflowId: 'probe',
        provider: 'apple_health',
        userId: 'bench',
        path,
      });
      let from = row.byte_offset;
      for (const b of batches) {
        const t = now();
        await storeImportBatch(tx, {
          runId: 'probe',
          workflowId: 'probe',
          provider: 'apple_health',
          userId: 'bench',
          fromByte: from,
          toByte: b.endByte,
          elements: b.elements,
          records: b.records,
          quarantined: [],
          routes: 0,
        });
        ms.push(Math.round((now() - t) * 1000));
        from = b.endByte;
      }
      throw new Error('rollback');
    })
    .catch((error: Error) => {
      if (error.message !== 'rollback') throw error;
    });
  return ms;
}

async function probeBoth(batches: ImportBatch[]) {
  const all: number[] = [];
  const without: number[] = [];
  for (let round = 0; round < 2; round++) {
    all.push(...(await probe(batches, [])));
    if (values['drop-index'].length) without.push(...(await probe(batches, values['drop-index'])));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? null;
  return { allIndexesMs: all, allMedian: median(all), withoutMs: without, withoutMedian: median(without) };
}

/** Index names in an EXPLAIN (FORMAT JSON) plan. */
function indexesOf(plan: unknown): string[] {
  if (typeof plan !== 'object' || plan === null) return [];
  const node = plan as Record<string, unknown>;
  const own = typeof node['Index Name'] === 'string' ? [node['Index Name'] as string] : [];
  return [
    ...own,
    ...Object.values(node).flatMap((v) => (Array.isArray(v) ? v.flatMap(indexesOf) : indexesOf(v))),
  ];
}

/**
 * The reads of `records` the project makes (views, panels, store code), planned and run on the full
 * table: which index each uses and how long it takes, with every index and without the dropped ones.
 */
async function explainReads(drop: readonly string[]) {
  const [{ last } = { last: '2020-01-01' }] = await sql<{ last: string }[]>`
    select max(local_day)::text as last from records`;
  const month = `'${last}'::date - 30`;
  const week = `'${last}'::date - 7`;
  const reads: Record<string, string> = {
    freshnessLastChange: `select max(last_changed_at) from records where provider = 'apple_health' and user_id = 'bench' and kind = 'record' and deleted_at is null`,
    freshnessNewestStart: `select max(start_at) from records where provider = 'apple_health' and user_id = 'bench' and kind = 'record' and deleted_at is null`,
    startRange: `select count(*) from records where user_id = 'bench' and kind = 'record' and deleted_at is null and start_at >= ${month} and start_at < '${last}'::date`,
    spanDeletion: `select count(*) from records where provider = 'apple_health' and user_id = 'bench' and kind = 'record' and start_at >= ${month} and start_at < '${last}'::date and deleted_at is null and not (source_id = any('{a,b}'::text[]))`,
    dayRange: `select source_id from records where user_id = 'bench' and kind = 'record' and deleted_at is null and local_day between ${month} and '${last}'::date order by local_day, provider, source_id limit 101`,
    heartRatePanel: `select date_trunc('hour', start_at), avg(value) from samples where user_id in ('bench') and type = 'HKQuantityTypeIdentifierHeartRate' and start_at >= ${week} and start_at < '${last}'::date group by 1`,
    orphans: `select count(*) from records where provider = 'apple_health' and user_id = 'bench' and parent_kind = 'x' and parent_source_id = 'y' and start_at is null`,
  };
  const out: Record<string, { indexes: string[]; ms: number }> = {};
  await sql
    .begin(async (tx) => {
      for (const name of drop) await tx.unsafe(`drop index ${name}`);
      for (const [name, query] of Object.entries(reads)) {
        await tx.unsafe(query); // warm
        const [row] = await tx.unsafe(`explain (analyze, format json) ${query}`);
        const plan = (row as unknown as { 'QUERY PLAN': { Plan: unknown; 'Execution Time': number }[] })[
          'QUERY PLAN'
        ][0];
        out[name] = {
          indexes: [...new Set(indexesOf(plan?.Plan))],
          ms: Math.round((plan?.['Execution Time'] ?? 0) * 10) / 10,
        };
      }
      throw new Error('rollback');
    })
    .catch((error: Error) => {
      if (error.message !== 'rollback') throw error;
    });
  return out;
}

const report: Record<string, unknown> = {
  file: path,
  batchElements,
  settings,
  generatedAt: new Date().toISOString(),
};
try {
  await migrate(sql);
  await sql`insert into users (id) values ('bench')`;
  const shown = await sql<{ name: string; setting: string; unit: string | null }[]>`
    select name, current_setting(name) as setting, null as unit from pg_settings
     where name in ('shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'wal_compression',
                    'synchronous_commit', 'work_mem', 'maintenance_work_mem', 'wal_buffers')`;
  report.serverSettings = shown;
  log(`settings: ${shown.map((s) => `${s.name}=${s.setting}${s.unit ?? ''}`).join(' ')}`);
  const batches = await probeBatches(Number(values['probe-batches']));
  report.probeEmpty = await probeBoth(batches);
  log(`probe on the empty table: ${JSON.stringify(report.probeEmpty)}`);

  const segments: Record<string, number>[] = [];
  const segmentBytes = Number(values['segment-mb']) * 1e6;
  let next = segmentBytes;
  let last = {
    t: now(),
    records: 0,
    cpu: await postgresCpuSeconds(),
    node: process.cpuUsage(),
    ...(await walStats(sql)),
  };
  let lastBatchAt = now();
  const start = now();
  const { importFileSlice } = createImportFileActivities({
    sql,
    importers: fileImporters,
    logger: (() => {
      const quiet = { child: () => quiet, debug() {}, info() {}, warn() {} };
      return quiet;
    })(),
    afterBatch: async (p: ImportProgress) => {
      lastBatchAt = now();
      if (p.bytesDone < next && p.bytesDone < (p.bytesTotal ?? 0)) return;
      next += segmentBytes;
      const cur = {
        t: now(),
        records: p.records,
        cpu: await postgresCpuSeconds(),
        node: process.cpuUsage(),
        ...(await walStats(sql)),
      };
      const seconds = cur.t - last.t;
      const segment = {
        mb: Math.round(p.bytesDone / 1e6),
        seconds: Math.round(seconds * 10) / 10,
        recordsPerSecond: Math.round((cur.records - last.records) / seconds),
        postgresCpuSeconds: Math.round((cur.cpu - last.cpu) * 10) / 10,
        nodeCpuSeconds:
          Math.round((cur.node.user + cur.node.system - last.node.user - last.node.system) / 1e5) / 10,
        walMb: Math.round(cur.walMb - last.walMb),
        fullPageImages: cur.fpi - last.fpi,
        checkpoints: cur.timed + cur.requested - last.timed - last.requested,
        buffersWrittenByCheckpoints: cur.written - last.written,
        load1: Math.round((loadavg()[0] ?? 0) * 10) / 10,
      };
      segments.push(segment);
      log(JSON.stringify(segment));
      last = cur;
    },
  });
  const env = new MockActivityEnvironment({
    workflowExecution: { workflowId: 'pg-costs', runId: 'pg-costs' },
  } as never);
  const result: ImportProgress = await env.run(importFileSlice, {
    provider: 'apple_health',
    userId: 'bench',
    path,
    sliceSeconds: 7200,
    batchElements,
  });
  const end = now();
  report.import = {
    seconds: end - start,
    recordsPerSecond: Math.round(result.records / (end - start)),
    records: result.records,
    inserted: result.inserted,
    // After the last batch: the end-of-import recompute of the user's days and the ledger's close.
    recomputeAtEndSeconds: end - lastBatchAt,
    segments,
    checkpointLog: checkpointLines.slice(-5),
  };
  log(`import: ${JSON.stringify({ ...(report.import as object), segments: undefined })}`);

  // The same recompute again, alone: every day of the user, from the full table.
  const recompute: number[] = [];
  for (let i = 0; i < 2; i++) {
    const t = now();
    await sql`select wearhouse_refresh_daily_summary('bench', 'apple_health', null, null)`;
    recompute.push(Math.round((now() - t) * 10) / 10);
  }
  report.recomputeAllDaysSeconds = recompute;
  log(`recompute of all days: ${recompute.join(', ')} s`);

  const sizes = await sql<{ name: string; mb: number }[]>`
    select c.relname as name, round(pg_relation_size(c.oid) / 1e6)::int as mb
      from pg_index i join pg_class c on c.oid = i.indexrelid
     where i.indrelid = 'records'::regclass order by 2 desc`;
  const [table] = await sql<{ mb: number; rows: number }[]>`
    select round(pg_relation_size('records') / 1e6)::int as mb, (select count(*)::int from records) as rows`;
  report.sizes = { table, indexes: sizes };
  log(`sizes: ${JSON.stringify(report.sizes)}`);
  await sql`vacuum analyze records`;
  report.probeFull = await probeBoth(batches);
  log(`probe on the full table: ${JSON.stringify(report.probeFull)}`);
  report.readsAllIndexes = await explainReads([]);
  report.readsWithout = await explainReads(values['drop-index']);
  log(`reads: ${JSON.stringify({ all: report.readsAllIndexes, without: report.readsWithout })}`);
  report.load = loadavg();
} finally {
  if (values.json) await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
  await sql.end();
  await pg.stop();
  await rm(dir, { recursive: true, force: true });
}
