// `npm run dashboards`: writes grafana/dashboards/*.json from the TypeScript sources, and removes
// generated files whose dashboard no longer exists. test/grafana-dashboards.test.ts runs it into a
// scratch folder (the optional argument) and fails when the committed JSON differs from what it writes.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderDashboards } from './src/dashboards.ts';

const target = process.argv[2];
const dir = target
  ? `${target.replace(/\/$/, '')}/`
  : fileURLToPath(new URL('./dashboards/', import.meta.url));
await mkdir(dir, { recursive: true });
const rendered = renderDashboards();
for (const [file, json] of rendered) await writeFile(`${dir}${file}`, json);
for (const file of await readdir(dir)) {
  if (file.endsWith('.json') && !rendered.has(file)) await rm(`${dir}${file}`);
}
console.log(`wrote ${rendered.size} dashboards to ${target ?? 'grafana/dashboards/'}`);
