// 5. Memory: the resident set of `wearhouse worker` (its own process, sampled from /proc every 100 ms)
// while it backfills several users' full history at once under a high budget, against the same
// process's resident set when idle after start-up (the baseline), and against a fresh worker that
// backfills one user's history (same length, less work in flight).
import { startBackfillFixture, storedRecords } from './backfill-fixture.ts';
import { type BenchServices, isoDay } from './harness.ts';
import type { Section } from './report.ts';
import { median, round } from './stats.ts';

export interface MemoryOptions {
  users: number;
  fromDay: number;
  toDay: number;
  requestsPerMinute: number;
}

interface MemoryRun {
  users: number;
  pid: number;
  records: number;
  pages: number;
  requests: number;
  wallSeconds: number;
  idleRssKb: number;
  peakRssKb: number;
  hwmBeforeKb: number;
  hwmAfterKb: number;
  rssMbEverySecond: number[];
  /** The worker's own process.memoryUsage() log line nearest the peak (WORKER_MEMORY_LOG_SECONDS=1). */
  atPeak?: Record<string, number>;
  /** The largest value of each field over the run's log lines. */
  maxima?: Record<string, number>;
}

const mb = (kb: number) => round(kb / 1024, 1);

/** The worker's memory settings as docker-compose.yml runs it (docs/operating.md, _Worker memory_). */
export const COMPOSE_WORKER_MEMORY_ENV = {
  NODE_OPTIONS: '--max-semi-space-size=2 --max-old-space-size=96',
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
};

export async function measureMemory(
  services: BenchServices,
  options: MemoryOptions,
  log: (line: string) => void,
): Promise<Section> {
  const started = performance.now();
  const range = { from: isoDay(options.fromDay), to: isoDay(options.toDay) };
  log(`memory: 1 user × ${range.from}..${range.to} at ${options.requestsPerMinute}/min`);
  const one = await backfillWithSampling(
    services,
    options,
    range,
    ['memory-solo'],
    COMPOSE_WORKER_MEMORY_ENV,
  );
  const users = Array.from({ length: options.users }, (_, i) => `memory-${String(i + 1).padStart(2, '0')}`);
  log(`memory: ${users.length} users × ${range.from}..${range.to} at ${options.requestsPerMinute}/min`);
  const many = await backfillWithSampling(services, options, range, users, COMPOSE_WORKER_MEMORY_ENV);
  const hwmAtStartUp = many.hwmBeforeKb >= many.peakRssKb;
  return {
    id: 'memory',
    title: 'Memory',
    method:
      `\`node bin/wearhouse.mjs worker\` as a child process (worker defaults: up to 20 activities at once; ` +
      `docker compose's memory settings: NODE_OPTIONS="${COMPOSE_WORKER_MEMORY_ENV.NODE_OPTIONS}", ` +
      `MALLOC_ARENA_MAX=${COMPOSE_WORKER_MEMORY_ENV.MALLOC_ARENA_MAX}, ` +
      `MALLOC_MMAP_THRESHOLD_=${COMPOSE_WORKER_MEMORY_ENV.MALLOC_MMAP_THRESHOLD_}; bench/MEMORY.md compares them), ` +
      `WHOOP_REQUESTS_PER_MINUTE=${options.requestsPerMinute}; ${users.length} users × ${range.from}..${range.to} ` +
      `backfilled at once (4 windows each in parallel), and, in a fresh worker process, one user over the same ` +
      `range. VmRSS sampled every 100 ms from /proc/<pid>/status (idle: the median over 2 s, 3 s after start-up); ` +
      `VmHWM is the kernel's lifetime peak.`,
    figures: [
      {
        label: `peak RSS, ${users.length} users at once`,
        value: mb(many.peakRssKb),
        unit: 'MB',
        why:
          many.peakRssKb > 1.25 * one.peakRssKb
            ? `${round(many.peakRssKb / one.peakRssKb, 2)}× the one-user peak for the same history per user: it grows ` +
              `with what is in flight (${users.length} workflows, up to 20 activities each validating, mapping and ` +
              'serialising a ' +
              'page, the workflow thread and the Temporal core) rather than with history; the main heap is ' +
              'capped, so the growth is mostly outside it (bench/MEMORY.md).'
            : 'About the one-user peak: neither users nor history move it much; the process floor does ' +
              '(bench/MEMORY.md, what holds the rest).',
      },
      {
        label: 'idle RSS after start (baseline)',
        value: mb(many.idleRssKb),
        unit: 'MB',
        why:
          'tsx-compiled sources, the Temporal native runtime and the workflow thread with its bundle (built ' +
          'in a child process, not in the worker); nothing per user.',
      },
      {
        label: `peak ÷ idle, ${users.length} users`,
        value: round(many.peakRssKb / many.idleRssKb, 2),
        why: 'What the work itself adds on top of the process floor.',
      },
      {
        label: 'peak RSS, 1 user (4 windows at once)',
        value: mb(one.peakRssKb),
        unit: 'MB',
        why:
          'The same history per user as the run above with fewer activities in flight (4 instead of up to 20): ' +
          'the comparison separates concurrency from data volume.',
      },
      {
        label: 'VmHWM (lifetime peak, start-up included)',
        value: mb(many.hwmAfterKb),
        unit: 'MB',
        why: hwmAtStartUp ? 'Set at start-up, not by the backfill.' : 'Set by the backfill, not by start-up.',
      },
    ],
    tables: [
      {
        title: 'The runs',
        headers: [
          'users',
          'records stored',
          'pages',
          'requests',
          'wall s',
          'records/s',
          'idle RSS MB',
          'peak RSS MB',
          'VmHWM before the backfill MB',
        ],
        rows: [one, many].map((r) => [
          r.users,
          r.records,
          r.pages,
          r.requests,
          round(r.wallSeconds, 1),
          Math.round(r.records / r.wallSeconds),
          mb(r.idleRssKb),
          mb(r.peakRssKb),
          mb(r.hwmBeforeKb),
        ]),
      },
    ],
    details: { range, runs: [one, many] },
    seconds: (performance.now() - started) / 1000,
  };
}

export async function backfillWithSampling(
  services: BenchServices,
  options: MemoryOptions,
  range: { from: string; to: string },
  users: string[],
  workerEnv: Record<string, string> = {},
): Promise<MemoryRun> {
  const fixture = await startBackfillFixture(services, {
    label: 'memory',
    requestsPerMinute: options.requestsPerMinute,
    users,
    workerEnv: { WORKER_MEMORY_LOG_SECONDS: '1', ...workerEnv },
  });
  try {
    const { samples, pid } = fixture.worker;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const idleFrom = samples.length;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idle = samples.slice(idleFrom);
    const hwmBeforeKb = samples.at(-1)?.hwmKb ?? Number.NaN;
    const mark = samples.length;
    const logMark = fixture.worker.memoryLog.length;
    const run = await fixture.backfillAll(range);
    const during = samples.slice(mark);
    const logged = fixture.worker.memoryLog.slice(logMark);
    const atPeak = logged.reduce<Record<string, number> | undefined>(
      (best, line) => (!best || (line.rssMb ?? 0) > (best.rssMb ?? 0) ? line : best),
      undefined,
    );
    const maxima: Record<string, number> = {};
    for (const line of logged) {
      for (const [key, value] of Object.entries(line)) maxima[key] = Math.max(maxima[key] ?? 0, value);
    }
    return {
      users: users.length,
      pid,
      records: await storedRecords(fixture.db),
      pages: run.results.reduce((n, r) => n + Object.values(r.byKind).reduce((m, c) => m + c.pages, 0), 0),
      requests: fixture.recorder.data(run.startedAt).length,
      wallSeconds: run.wallSeconds,
      idleRssKb: median(idle.map((s) => s.rssKb)),
      peakRssKb: Math.max(...during.map((s) => s.rssKb)),
      hwmBeforeKb,
      hwmAfterKb: samples.at(-1)?.hwmKb ?? Number.NaN,
      // Every 10th sample keeps the JSON small.
      rssMbEverySecond: during.filter((_, i) => i % 10 === 0).map((s) => mb(s.rssKb)),
      atPeak,
      maxima,
    };
  } finally {
    await fixture.close();
  }
}
