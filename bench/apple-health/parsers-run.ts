// `node --import tsx bench/apple-health/parsers-run.ts [--mb 200] [--file F]`: generates an export
// under /tmp (never committed), runs each parser on it twice (best run kept) and prints a Markdown
// table for bench/apple-health/REPORT.md.
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { writeExportXml } from '../../test/support/apple-export/write.ts';
import { acceptsRaw, measureParser, PARSERS, type ParseOutcome } from './parsers.ts';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '200' }, file: { type: 'string' } },
});
const path = values.file ?? `/tmp/wearhouse-bench-apple-${process.pid}.xml`;
if (!values.file) {
  console.error(`generating ${values.mb} MB at ${path}…`);
  await writeExportXml(path, { targetBytes: Number(values.mb) * 1e6 });
}
const small = `/tmp/wearhouse-bench-apple-small-${process.pid}.xml`;
await writeExportXml(small, { days: 7 });
const rows: string[] = [];
try {
  for (const name of Object.keys(PARSERS) as (keyof typeof PARSERS)[]) {
    const raw = await acceptsRaw(name, small);
    let best: ParseOutcome | undefined;
    for (let run = 0; run < 2; run++) {
      const outcome = await measureParser(name, path);
      if (!best || outcome.seconds < best.seconds) best = outcome;
    }
    const b = best as ParseOutcome;
    rows.push(
      `| ${name} | ${(b.bytes / 1e6 / b.seconds).toFixed(1)} | ${Math.round(b.elements / b.seconds).toLocaleString('en')} | ${b.topLevel.toLocaleString('en')} | ${b.elements.toLocaleString('en')} | ${raw} |`,
    );
    console.error(rows.at(-1));
  }
} finally {
  await rm(small, { force: true });
  if (!values.file) await rm(path, { force: true });
}
console.log(
  [
    '| parser | MB/s | elements/s | top-level elements | elements | accepts the unrepaired file |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...rows,
  ].join('\n'),
);
