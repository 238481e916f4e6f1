// `node --import tsx bench/memory-knobs.ts [--variants a,b] [--users 10] [--years 5] [--out FILE]`:
// the memory measurement of bench/memory.ts (10 users × 5 years of WHOOP backfill at once through
// `wearhouse worker` as its own process) repeated once per worker configuration, each in a fresh
// worker process and database, so the knobs of docs/operating.md (_Worker memory_) are compared in one
// run on the same machine. Writes the runs as JSON (bench/memory/*.json) for bench/MEMORY.md.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { isoDay, startServices } from './harness.ts';
import { backfillWithSampling, COMPOSE_WORKER_MEMORY_ENV } from './memory.ts';

const YEAR = 365;
export const VARIANTS: Record<string, { label: string; env: Record<string, string> }> = {
  defaults: { label: 'worker defaults', env: {} },
  semi4: { label: 'NODE_OPTIONS=--max-semi-space-size=4', env: { NODE_OPTIONS: '--max-semi-space-size=4' } },
  heap: {
    label: 'NODE_OPTIONS=--max-semi-space-size=4 --max-old-space-size=128',
    env: { NODE_OPTIONS: '--max-semi-space-size=4 --max-old-space-size=128' },
  },
  arena: { label: 'MALLOC_ARENA_MAX=2', env: { MALLOC_ARENA_MAX: '2' } },
  compose: { label: "docker compose's worker settings (bench/memory.ts)", env: COMPOSE_WORKER_MEMORY_ENV },
  /** Compose's settings before bench/MEMORY.md's second pass. */
  heaparena: {
    label: 'NODE_OPTIONS=--max-semi-space-size=4 --max-old-space-size=128, MALLOC_ARENA_MAX=2',
    env: { NODE_OPTIONS: '--max-semi-space-size=4 --max-old-space-size=128', MALLOC_ARENA_MAX: '2' },
  },
  compose10: {
    label: 'compose settings (heap caps, MALLOC_ARENA_MAX=2) and WORKER_ACTIVITY_CONCURRENCY=10',
    env: {
      NODE_OPTIONS: '--max-semi-space-size=4 --max-old-space-size=128',
      MALLOC_ARENA_MAX: '2',
      WORKER_ACTIVITY_CONCURRENCY: '10',
    },
  },
  tight: {
    label:
      'NODE_OPTIONS=--max-semi-space-size=2 --max-old-space-size=96, MALLOC_ARENA_MAX=1, WORKER_MAX_CACHED_WORKFLOWS=20',
    env: {
      NODE_OPTIONS: '--max-semi-space-size=2 --max-old-space-size=96',
      MALLOC_ARENA_MAX: '1',
      WORKER_MAX_CACHED_WORKFLOWS: '20',
    },
  },
  semi2old96: {
    label: 'NODE_OPTIONS=--max-semi-space-size=2 --max-old-space-size=96, MALLOC_ARENA_MAX=2',
    env: { NODE_OPTIONS: '--max-semi-space-size=2 --max-old-space-size=96', MALLOC_ARENA_MAX: '2' },
  },
  semi2old96mmap: {
    label:
      'NODE_OPTIONS=--max-semi-space-size=2 --max-old-space-size=96, MALLOC_ARENA_MAX=2, MALLOC_MMAP_THRESHOLD_=131072',
    env: {
      NODE_OPTIONS: '--max-semi-space-size=2 --max-old-space-size=96',
      MALLOC_ARENA_MAX: '2',
      MALLOC_MMAP_THRESHOLD_: '131072',
    },
  },
  old96: {
    label: 'NODE_OPTIONS=--max-semi-space-size=4 --max-old-space-size=96, MALLOC_ARENA_MAX=2',
    env: { NODE_OPTIONS: '--max-semi-space-size=4 --max-old-space-size=96', MALLOC_ARENA_MAX: '2' },
  },
  conc8: { label: 'WORKER_ACTIVITY_CONCURRENCY=8', env: { WORKER_ACTIVITY_CONCURRENCY: '8' } },
  cache1000: { label: 'WORKER_MAX_CACHED_WORKFLOWS=1000', env: { WORKER_MAX_CACHED_WORKFLOWS: '1000' } },
};

const { values } = parseArgs({
  options: {
    variants: { type: 'string', default: 'defaults' },
    users: { type: 'string', default: '10' },
    years: { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench/out/memory-knobs.json' },
  },
});
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const options = {
  users: Number(values.users),
  fromDay: -Number(values.years) * YEAR,
  toDay: 0,
  requestsPerMinute: 10_000,
};
const range = { from: isoDay(options.fromDay), to: isoDay(options.toDay) };
const users = Array.from({ length: options.users }, (_, i) => `memory-${String(i + 1).padStart(2, '0')}`);

const services = await startServices();
const runs: Record<string, unknown>[] = [];
try {
  for (const id of values.variants.split(',')) {
    const variant = VARIANTS[id];
    if (!variant) throw new Error(`unknown variant ${id}`);
    log(`${id}: ${variant.label}: ${users.length} users × ${range.from}..${range.to}`);
    const started = Date.now();
    const run = await backfillWithSampling(services, options, range, users, variant.env);
    const { rssMbEverySecond, ...rest } = run;
    const summary = {
      variant: id,
      label: variant.label,
      env: variant.env,
      idleMb: Math.round(run.idleRssKb / 1024),
      peakMb: Math.round(run.peakRssKb / 1024),
      recordsPerSecond: Math.round(run.records / run.wallSeconds),
      ...rest,
      rssMbEverySecond,
      load: (await import('node:os')).loadavg()[0],
      seconds: (Date.now() - started) / 1000,
    };
    log(
      `${id}: idle ${summary.idleMb} MB, peak ${summary.peakMb} MB, ${summary.recordsPerSecond} records/s; at peak ${JSON.stringify(run.atPeak)}`,
    );
    runs.push(summary);
    await mkdir(dirname(values.out), { recursive: true });
    await writeFile(
      values.out,
      `${JSON.stringify({ generatedAt: new Date().toISOString(), range, users: users.length, runs }, null, 2)}\n`,
    );
  }
} finally {
  await services.stop();
}
