// `node --import tsx bench/memory-probe.ts [--rounds N] [--out bench/out/memory-probe.json]`: where an idle
// `wearhouse worker` process's resident memory goes, one knob at a time. Each variant is a fresh
// worker process (bench/worker-process.ts) with WORKER_MEMORY_LOG_SECONDS=1; after it is ready and
// has idled for 6 s, the probe reads VmRSS/VmHWM and /proc/<pid>/smaps_rollup (anonymous vs
// file-backed pages) and the worker's own process.memoryUsage() log (V8 heap vs external).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeWorkflowBundle } from '../worker/workflow-bundle.ts';
import { startServices } from './harness.ts';
import { readMemory, spawnWorker } from './worker-process.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'bench/out/memory-probe.json' },
    rounds: { type: 'string', default: '1' },
  },
});
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

async function smapsRollup(pid: number): Promise<Record<string, number>> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) =>
    Math.round(Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN) / 1024);
  return { anonMb: field('Anonymous'), fileMb: field('Rss') - field('Anonymous') };
}

const services = await startServices(log);
const bundle = join(services.dir, 'prebuilt-bundle.js');
await writeWorkflowBundle(bundle);
// The SDK's own devtool: the inline source map carries every source file's text.
const withSources = join(services.dir, 'prebuilt-bundle-with-sources.js');
await writeWorkflowBundle(withSources, 'inline-source-map');
const composeEnv = {
  NODE_OPTIONS: '--max-semi-space-size=4 --max-old-space-size=128',
  MALLOC_ARENA_MAX: '2',
};
const variants: { name: string; env: Record<string, string> }[] = [
  { name: 'bundled at start in a child process (default)', env: {} },
  { name: 'prebuilt bundle (WORKER_WORKFLOW_BUNDLE)', env: { WORKER_WORKFLOW_BUNDLE: bundle } },
  {
    name: 'prebuilt bundle, --max-semi-space-size=4',
    env: { WORKER_WORKFLOW_BUNDLE: bundle, NODE_OPTIONS: '--max-semi-space-size=4' },
  },
  { name: 'prebuilt bundle, compose settings', env: { WORKER_WORKFLOW_BUNDLE: bundle, ...composeEnv } },
  {
    name: 'prebuilt bundle with the sources in its source map, compose settings',
    env: { WORKER_WORKFLOW_BUNDLE: withSources, ...composeEnv },
  },
];
const results: Record<string, unknown>[] = [];
try {
  const db = await services.createDatabase('probe');
  for (const variant of Array.from({ length: Number(values.rounds) }, () => variants).flat()) {
    const worker = spawnWorker({
      databaseUrl: db.url,
      temporalAddress: services.temporalAddress,
      taskQueue: `probe-${results.length}`,
      tokenKey: services.tokenKey,
      apiUrl: 'http://127.0.0.1:9',
      tokenUrl: 'http://127.0.0.1:9/token',
      requestsPerMinute: 100,
      env: { WORKER_MEMORY_LOG_SECONDS: '1', ...variant.env },
    });
    await worker.ready;
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const memory = await readMemory(worker.pid);
    const rollup = await smapsRollup(worker.pid);
    const result = {
      variant: variant.name,
      rssMb: Math.round((memory?.rssKb ?? NaN) / 1024),
      hwmMb: Math.round((memory?.hwmKb ?? NaN) / 1024),
      ...rollup,
      process: worker.memoryLog.at(-1),
    };
    log(JSON.stringify(result));
    results.push(result);
    await worker.stop();
  }
} finally {
  await services.stop();
}
await mkdir(dirname(values.out), { recursive: true });
await writeFile(values.out, `${JSON.stringify(results, null, 2)}\n`);
