// `node --import tsx bench/apple-health/import-run.ts [--mb 1000] [--file export.zip] [--baseline-seconds 300]
//   [--node-options "--max-old-space-size=…"] [--skip-reimport] [--json FILE]`
// Apple Health import speed on one generated export.zip (under /tmp, never committed):
//   1. parse-only: the importer's stream (unzip, repair, parse, map, routes) with no database: the ceiling;
//   2. the real thing: `importAppleHealth` on `wearhouse worker` as its own process (peak RSS from
//      /proc), one statement per batch (sql/095_import_batch.sql), two batches pipelined while the next
//      one is parsed;
//   3. baseline: the same batches stored in-process with the project's multi-row upsert
//      (store/records.ts upsertRecords, one statement per batch), no COPY, no overlap.
// Prints a Markdown section for bench/apple-health/REPORT.md.
import { rm, stat, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { appleHealthImporter } from '../../providers/apple_health/importer.ts';
import { quarantineRecords, upsertRecords } from '../../store/records.ts';
import { writeExportZip } from '../../test/support/apple-export/write.ts';
import type { ImportWorkflowProgress } from '../../workflows/import-apple-health.ts';
import { startServices } from '../harness.ts';
import { spawnWorker } from '../worker-process.ts';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '1000' },
    file: { type: 'string' },
    'baseline-seconds': { type: 'string', default: '300' },
    batch: { type: 'string', default: '5000' },
    /** NODE_OPTIONS for the worker process (the V8 heap caps of docs/operating.md, _Worker memory_). */
    'node-options': { type: 'string' },
    /** More worker environment, `KEY=VALUE` pairs separated by spaces (MALLOC_ARENA_MAX=2 …). */
    env: { type: 'string' },
    'skip-reimport': { type: 'boolean' },
    json: { type: 'string' },
  },
});
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const path = values.file ?? `/tmp/wearhouse-bench-apple-${process.pid}.zip`;
const batchElements = Number(values.batch);
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

if (!values.file) {
  log(`generating a ${values.mb} MB export at ${path}…`);
  const t = process.hrtime.bigint();
  const stats = await writeExportZip(path, { targetBytes: Number(values.mb) * 1e6, seed: 3, badRecords: 50 });
  log(
    `generated ${(stats.bytes / 1e6).toFixed(0)} MB of XML, ${stats.days} days in ${seconds(t).toFixed(0)} s`,
  );
}
const zipBytes = (await stat(path)).size;

async function parseOnly() {
  const source = await appleHealthImporter.open(path);
  const t = process.hrtime.bigint();
  let records = 0;
  let elements = 0;
  for await (const batch of source.batches(0, batchElements)) {
    records += batch.records.length + batch.quarantined.length;
    elements += batch.elements;
  }
  await source.close();
  return { seconds: seconds(t), records, elements, xmlBytes: source.totalBytes };
}

const services = await startServices(log);
try {
  log('parse-only…');
  const parse = await parseOnly();
  log(`parse-only: ${parse.records} records in ${parse.seconds.toFixed(1)} s`);

  log('import through the worker process…');
  const db = await services.createDatabase('apple');
  const taskQueue = 'bench-apple';
  const worker = spawnWorker({
    databaseUrl: db.url,
    temporalAddress: services.temporalAddress,
    taskQueue,
    tokenKey: services.tokenKey,
    apiUrl: 'http://127.0.0.1:9',
    tokenUrl: 'http://127.0.0.1:9/token',
    requestsPerMinute: 100,
    env: {
      WORKER_MEMORY_LOG_SECONDS: '1',
      ...Object.fromEntries(
        (values.env ?? '')
          .split(/\s+/)
          .filter(Boolean)
          .map((kv) => kv.split('=', 2)),
      ),
      ...(values['node-options'] ? { NODE_OPTIONS: values['node-options'] } : {}),
    },
  });
  await worker.ready;
  const idleKb = Math.max(...worker.samples.map((s) => s.rssKb));
  const t = process.hrtime.bigint();
  const handle = await services.client.workflow.start('importAppleHealth', {
    taskQueue,
    workflowId: `bench-apple-${process.pid}`,
    args: [{ userId: 'bench', path, options: { batchElements } }],
  });
  const result = (await handle.result()) as ImportWorkflowProgress;
  const importSeconds = seconds(t);
  const peakKb = Math.max(...worker.samples.map((s) => s.hwmKb));
  const [rows] = await db.sql<{ n: number }[]>`select count(*)::int as n from records`;
  log(
    `import: ${result.records} records in ${importSeconds.toFixed(1)} s, peak RSS ${(peakKb / 1024).toFixed(0)} MB`,
  );

  const logged = [...worker.memoryLog];
  const atPeak = logged.reduce<Record<string, number> | undefined>(
    (best, line) => (!best || (line.rssMb ?? 0) > (best.rssMb ?? 0) ? line : best),
    undefined,
  );
  log(`worker memory at its peak log line: ${JSON.stringify(atPeak)}`);
  let again: ImportWorkflowProgress | undefined;
  let againSeconds = Number.NaN;
  if (!values['skip-reimport']) {
    log('re-import of the same file (everything already stored)…');
    const t2 = process.hrtime.bigint();
    again = (await (
      await services.client.workflow.start('importAppleHealth', {
        taskQueue,
        workflowId: `bench-apple-again-${process.pid}`,
        args: [{ userId: 'bench', path, options: { batchElements } }],
      })
    ).result()) as ImportWorkflowProgress;
    againSeconds = seconds(t2);
  }
  const peakKb2 = Math.max(...worker.samples.map((s) => s.hwmKb));
  await worker.stop();

  log('baseline: multi-row upsert per batch, in-process, no overlap…');
  const base = await services.createDatabase('apple_base');
  const source = await appleHealthImporter.open(path);
  const limit = Number(values['baseline-seconds']);
  const t3 = process.hrtime.bigint();
  let baseRecords = 0;
  let baseBytes = 0;
  for await (const batch of source.batches(0, batchElements)) {
    await base.sql.begin(async (tx) => {
      await upsertRecords(tx, 'apple_health', 'bench', batch.records);
      await quarantineRecords(tx, 'apple_health', 'bench', batch.quarantined, null);
    });
    baseRecords += batch.records.length + batch.quarantined.length;
    baseBytes = batch.endByte;
    if (seconds(t3) > limit) break;
  }
  const baseSeconds = seconds(t3);
  await source.close();

  const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en');
  const mbps = (b: number, s: number) => (b / 1e6 / s).toFixed(1);
  const importRate = result.records / importSeconds;
  const parseRate = parse.records / parse.seconds;
  const baseRate = baseRecords / baseSeconds;
  console.log(`## 2. Import speed and memory (\`bench/apple-health/import-run.ts --mb ${values.mb}\`)

One generated export.zip: ${(parse.xmlBytes / 1e6).toFixed(0)} MB of XML (deflated to ${(zipBytes / 1e6).toFixed(0)} MB),
${parse.elements.toLocaleString('en')} top-level elements, ${parse.records.toLocaleString('en')} records (incl. quarantined);
${rows?.n.toLocaleString('en')} distinct rows stored.

| run | seconds | records/s | XML MB/s | ÷ parse-only | worker peak RSS |
| --- | ---: | ---: | ---: | ---: | ---: |
| parse-only (unzip + repair + parse + map + routes, no DB) | ${parse.seconds.toFixed(1)} | ${rate(parse.records, parse.seconds)} | ${mbps(parse.xmlBytes, parse.seconds)} | 1.00 | — |
| **importAppleHealth** (worker process, one statement per ${batchElements.toLocaleString('en')} elements, pipelined) | ${importSeconds.toFixed(1)} | ${rate(result.records, importSeconds)} | ${mbps(parse.xmlBytes, importSeconds)} | **${(importRate / parseRate).toFixed(2)}** | **${(peakKb / 1024).toFixed(0)} MB** (idle ${(idleKb / 1024).toFixed(0)} MB) |
${again ? `| re-import, all already stored (${again.inserted} inserted, ${again.unchanged.toLocaleString('en')} unchanged) | ${againSeconds.toFixed(1)} | ${rate(again.records, againSeconds)} | ${mbps(parse.xmlBytes, againSeconds)} | ${(again.records / againSeconds / parseRate).toFixed(2)} | ${(peakKb2 / 1024).toFixed(0)} MB |\n` : ''}| baseline: multi-row upsert per batch (upsertRecords), in-process, no overlap${baseBytes < parse.xmlBytes ? `, first ${(baseBytes / 1e6).toFixed(0)} MB (stopped after ${limit} s)` : ''} | ${baseSeconds.toFixed(1)} | ${rate(baseRecords, baseSeconds)} | ${mbps(baseBytes, baseSeconds)} | ${(baseRate / parseRate).toFixed(2)} | — |

importAppleHealth ÷ baseline: **${(importRate / baseRate).toFixed(2)}×**. Result of the import: ${result.inserted.toLocaleString('en')} inserted,
${result.duplicates.toLocaleString('en')} exact duplicates inside batches, ${result.quarantined} quarantined, ${result.routes} routes, ${result.attempts} activity attempts.
Worker NODE_OPTIONS: ${values['node-options'] ?? '(none)'}, environment: ${values.env ?? '(none)'}; its process.memoryUsage() at the peak log line: ${JSON.stringify(atPeak)}.`);
  if (values.json) {
    await writeFile(
      values.json,
      `${JSON.stringify(
        {
          generatedAt: new Date().toISOString(),
          load: loadavg(),
          mb: values.mb,
          batchElements,
          nodeOptions: values['node-options'] ?? null,
          env: values.env ?? null,
          xmlBytes: parse.xmlBytes,
          zipBytes,
          parseOnly: { seconds: parse.seconds, records: parse.records, elements: parse.elements },
          import: {
            seconds: importSeconds,
            result,
            peakRssMb: peakKb / 1024,
            idleRssMb: idleKb / 1024,
            atPeak,
          },
          reimport: again ? { seconds: againSeconds, result: again, peakRssMb: peakKb2 / 1024 } : null,
          baseline: { seconds: baseSeconds, records: baseRecords, bytes: baseBytes },
          ratios: { importOverParseOnly: importRate / parseRate, importOverBaseline: importRate / baseRate },
          rssMbEverySecond: worker.samples
            .filter((_, i) => i % 10 === 0)
            .map((s) => Math.round(s.rssKb / 1024)),
          memoryLog: logged.filter((_, i) => i % 10 === 0),
        },
        null,
        2,
      )}\n`,
    );
  }
} finally {
  await services.stop();
  if (!values.file) await rm(path, { force: true });
}
