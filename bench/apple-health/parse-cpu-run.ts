// `node --import tsx bench/apple-health/parse-cpu-run.ts --file export.zip [--batch 2000]`: the parse-only
// stream of import-run.ts (unzip, repair, parse, map, routes; no database) with its CPU time beside its
// wall time, to compare with the CPU the worker and its Postgres backend spent on the same file
// (bench/apple-health/REPORT.md, _Memory_ and _1 GB_): on a shared machine wall time is CPU share.
import { parseArgs } from 'node:util';
import { appleHealthImporter } from '../../providers/apple_health/importer.ts';

const { values } = parseArgs({
  options: { file: { type: 'string' }, batch: { type: 'string', default: '2000' } },
});
if (!values.file) throw new Error('--file is required');
const source = await appleHealthImporter.open(values.file);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let records = 0;
for await (const batch of source.batches(0, Number(values.batch))) {
  records += batch.records.length + batch.quarantined.length;
}
await source.close();
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    records,
    wallSeconds: (performance.now() - t0) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    batchElements: Number(values.batch),
  }),
);
