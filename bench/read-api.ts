// `node --import tsx bench/read-api.ts [-- --users 100 --clients 20 --requests 2000]`: the read API
// (docs/read-api.md) measured against its own floor in the same run.
// 1. Complete days: N users × the sandbox's 5 years stored directly in Postgres (bench/dashboard-
//    data.ts: records, coverage of every 30-day window, the pipeline tables), `serve` in this
//    process, C concurrent clients asking /daily for random users and windows that are all covered.
//    Baseline: the same clients on a route that answers 404 at once (HTTP + Fastify floor).
// 2. A missing week at the real budget (WHOOP 100/min, the sandbox and `wearhouse worker` as child
//    processes): time until /daily answers complete with wait=30s. Baseline: the same-sized week
//    fetched by a plain `backfill` workflow, awaited through its result.
// 3. The write path: a page of 25 changed records with ÷ without the records trigger that keeps the
//    stored daily rows (bench/write-path.ts, as bench/REPORT.md section 4), and what ranking
//    daily_health again costs of it (sql/100: wearhouse_refresh_daily_health over the page's days).
// Writes bench/READ-API.md and .json; nothing here is asserted (figures are this machine's).
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServe } from '../serve/server.ts';
import type { Sql } from '../store/db.ts';
import { createReadToken } from '../store/read-tokens.ts';
import { loadConfig } from '../worker/config.ts';
import { createLogger } from '../worker/logger.ts';
import { loadDashboardData } from './dashboard-data.ts';
import { connectUser, isoDay, newTaskQueue, runBackfill, startServices } from './harness.ts';
import { spawnSandbox } from './sandbox-process.ts';
import { percentile, round } from './stats.ts';
import { spawnWorker } from './worker-process.ts';
import { measureWritePath, type WritePathTiming } from './write-path.ts';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const log = (line: string) =>
  process.stderr.write(`[read-api ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface Latency {
  requests: number;
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
}

async function drive(
  clients: number,
  total: number,
  request: (i: number) => Promise<void>,
): Promise<Latency> {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = performance.now();
        await request(i);
        times.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: times.length,
    p50: round(percentile(times, 50)),
    p99: round(percentile(times, 99)),
    max: round(Math.max(...times)),
    perSecond: round(times.length / seconds, 0),
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '100' },
      clients: { type: 'string', default: '20' },
      requests: { type: 'string', default: '2000' },
      weeks: { type: 'string', default: '3' },
    },
  });
  const userCount = Number(values.users);
  const clients = Number(values.clients);
  const total = Number(values.requests);
  const weeks = Number(values.weeks);
  const services = await startServices(log);
  const logger = createLogger({ level: 'warn' });
  try {
    // 1. Complete days.
    const db = await services.createDatabase('read');
    log(`loading ${userCount} users × 5 years`);
    const loaded = await loadDashboardData(db, userCount, log);
    log(`${loaded.records} records in ${round(loaded.loadSeconds, 0)} s`);
    const queue = newTaskQueue('read');
    const serve = await startServe({
      config: loadConfig({ TEMPORAL_TASK_QUEUE: queue, LOG_LEVEL: 'warn' }),
      databaseUrl: db.url,
      temporalAddress: services.temporalAddress,
      tokenEncryptionKey: services.tokenKey,
      logger,
      port: 0,
      host: '127.0.0.1',
    });
    const token = (await createReadToken(db.sql, { allUsers: true })).token;
    const headers = { authorization: `Bearer ${token}` };
    // Covered: from 5 years + 31 days ago (plus the day before) to 31 days ago.
    const oldest = 5 * 365 + 29;
    const newest = 33;
    let notComplete = 0;
    const dailyRun = (span: number) => async (i: number) => {
      const user = loaded.users[(i * 7919) % loaded.users.length] as string;
      const end = newest + ((i * 104_729) % (oldest - newest - span));
      const url = `${serve.url}/v1/users/${user}/daily?from=${isoDay(-(end + span - 1))}&to=${isoDay(-end)}&wait=0`;
      const response = await fetch(url, { headers });
      const body = (await response.json()) as { days: { status: string }[] };
      if (response.status !== 200 || body.days.some((d) => d.status === 'pending')) notComplete++;
    };
    const floorRun = async () => {
      const response = await fetch(`${serve.url}/v1/nothing`, { headers });
      await response.arrayBuffer();
    };
    await drive(clients, 200, dailyRun(7)); // warm-up: JIT, pools, plan caches
    // One client: what a request costs when nothing queues in front of it.
    const floorAlone = await drive(1, 300, floorRun);
    const monthAlone = await drive(1, 300, dailyRun(30));
    const floor = await drive(clients, total, floorRun);
    const week = await drive(clients, total, dailyRun(7));
    const month = await drive(clients, total, dailyRun(30));
    const quarter = await drive(clients, Math.round(total / 2), dailyRun(92));
    log(
      `floor p99 ${floor.p99} ms; 7 days p99 ${week.p99} ms; 30 days p99 ${month.p99} ms; 92 days p99 ${quarter.p99} ms`,
    );
    await serve.close();
    const writePath = await measureWritePath(db, loaded.users[0] as string);
    const rerankMs = await measureRerank(db, loaded.users[0] as string);
    log(`write path ×${round(writePath.ratio, 2)}; daily_health re-rank ${round(rerankMs, 1)} ms per page`);

    // 2. A missing week at the real budget.
    const fetchDb = await services.createDatabase('readfetch');
    const sandbox = await spawnSandbox({
      users: ['ana', 'bob'],
      requestsPerMinute: 100,
      requestsPerDay: 10_000,
    });
    const fetchQueue = newTaskQueue('readfetch');
    const worker = spawnWorker({
      databaseUrl: fetchDb.url,
      temporalAddress: services.temporalAddress,
      taskQueue: fetchQueue,
      tokenKey: services.tokenKey,
      apiUrl: sandbox.url,
      tokenUrl: sandbox.tokenUrl,
      requestsPerMinute: 100,
    });
    await worker.ready;
    for (const user of ['ana', 'bob']) {
      await connectUser(services, fetchDb.sql, user, sandbox.users[user] as never);
    }
    const fetchServe = await startServe({
      config: loadConfig({ TEMPORAL_TASK_QUEUE: fetchQueue, LOG_LEVEL: 'warn' }),
      databaseUrl: fetchDb.url,
      temporalAddress: services.temporalAddress,
      tokenEncryptionKey: services.tokenKey,
      logger,
      port: 0,
      host: '127.0.0.1',
    });
    const fetchToken = (await createReadToken(fetchDb.sql, { allUsers: true })).token;
    const readTimes: number[] = [];
    const backfillTimes: number[] = [];
    let readRequests = 0;
    for (let w = 0; w < weeks; w++) {
      const end = 60 + w * 20;
      const before = (await sandbox.stats()).requests;
      const t0 = performance.now();
      const response = await fetch(
        `${fetchServe.url}/v1/users/ana/daily?from=${isoDay(-(end + 6))}&to=${isoDay(-end)}&wait=30s`,
        { headers: { authorization: `Bearer ${fetchToken}` } },
      );
      const body = (await response.json()) as { days: { status: string }[] };
      readTimes.push(performance.now() - t0);
      readRequests += (await sandbox.stats()).requests - before;
      if (body.days.some((d) => d.status === 'pending')) log(`week ${w}: still pending after 30 s`);
      // The same-sized span (the day before included, as a read asks) by a plain backfill.
      const t1 = performance.now();
      await runBackfill(services, fetchQueue, { userId: 'bob', from: isoDay(-(end + 7)), to: isoDay(-end) });
      backfillTimes.push(performance.now() - t1);
    }
    await fetchServe.close();
    await worker.stop();
    await sandbox.stop();

    const result = {
      machine: { cpus: os.cpus().length, loadAverage: os.loadavg().map((l) => round(l)) },
      data: {
        users: userCount,
        records: loaded.records,
        loadSeconds: round(loaded.loadSeconds, 0),
      },
      complete: { clients, floor, week, month, quarter, notComplete, floorAlone, monthAlone },
      writePath: { ...writePath, dailyHealthRerankMs: round(rerankMs, 1) },
      missingWeek: {
        budgetPerMinute: 100,
        readMs: readTimes.map((t) => round(t, 0)),
        backfillMs: backfillTimes.map((t) => round(t, 0)),
        medianReadMs: round(percentile(readTimes, 50), 0),
        medianBackfillMs: round(percentile(backfillTimes, 50), 0),
        providerRequestsPerWeek: round(readRequests / weeks, 1),
      },
    };
    await writeFile(`${benchDir}READ-API.json`, `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(`${benchDir}READ-API.md`, report(result));
    log('wrote bench/READ-API.md and .json');
  } finally {
    await services.stop();
  }
}

function report(r: {
  machine: { cpus: number; loadAverage: number[] };
  data: { users: number; records: number; loadSeconds: number };
  complete: {
    clients: number;
    floor: Latency;
    week: Latency;
    month: Latency;
    quarter: Latency;
    notComplete: number;
    floorAlone: Latency;
    monthAlone: Latency;
  };
  writePath: WritePathTiming & { dailyHealthRerankMs: number };
  missingWeek: {
    budgetPerMinute: number;
    medianReadMs: number;
    medianBackfillMs: number;
    readMs: number[];
    backfillMs: number[];
    providerRequestsPerWeek: number;
  };
}): string {
  const c = r.complete;
  const row = (name: string, l: Latency) =>
    `| ${name} | ${l.requests} | ${l.p50} | ${l.p99} | ${l.max} | ${l.perSecond} | ${round(l.p50 / c.floor.p50, 1)} | ${round(l.p99 / c.floor.p99, 1)} |`;
  const m = r.missingWeek;
  return `# Read API (bench/read-api.ts)

Machine: ${r.machine.cpus} cores, load average ${r.machine.loadAverage.join(' / ')} at the end; shared with other work,
so absolute figures are this run's; the ratios compare with the floor measured in the same run.

## Complete days

${r.data.users} users × 5 years (${r.data.records} WHOOP records, loaded in ${r.data.loadSeconds} s; coverage of
every 30-day window; bench/dashboard-data.ts), \`serve\` in this process, ${c.clients} concurrent clients,
\`wait=0\`, random users and windows that lie in covered history. Days not answered complete: ${c.notComplete}.
Floor: the same clients on a route answering 404 (HTTP, Fastify, the client).

| request | n | p50 ms | p99 ms | max ms | req/s | p50 ÷ floor | p99 ÷ floor |
| --- | --- | --- | --- | --- | --- | --- | --- |
${row('floor (404)', c.floor)}
${row('/daily 7 days', c.week)}
${row('/daily 30 days', c.month)}
${row('/daily 92 days', c.quarter)}

One client alone (nothing queued in front of a request): floor p50 ${c.floorAlone.p50} ms, /daily 30 days
p50 ${c.monthAlone.p50} ms, p99 ${c.monthAlone.p99} ms (${c.monthAlone.perSecond} req/s).

Before sql/100 and the one-statement handler (the same bench at commit 170fe51, load ${BEFORE.load}):
floor p99 ${BEFORE.floorP99} ms; /daily p99 7 days ${BEFORE.weekP99} ms (${round(BEFORE.weekP99 / BEFORE.floorP99, 1)} × floor),
30 days ${BEFORE.monthP99} ms (${round(BEFORE.monthP99 / BEFORE.floorP99, 1)} ×), 92 days ${BEFORE.quarterP99} ms
(${round(BEFORE.quarterP99 / BEFORE.floorP99, 1)} ×); p50 30 days ${BEFORE.monthP50} ms.

Goal (issue): p99 < 50 ms for complete days at 100 users × 5 years.

What a request costs now (docs/read-api.md, "Measured"): one statement — the user, their active
connections, the coverage of the days, the records per provider and day, the stored \`daily_health\`
rows (an index range, sql/100) and recent fetch failures — prepared once per connection, and no
token query while the token is cached. With ${c.clients} clients on 2 shared cores the p99 is
queueing behind the other clients' requests (and the machine's other work), so it is read against
the floor of the same run.

## Write path

A page of 25 changed records of ${r.writePath.user} (own transaction, median of ${r.writePath.pages}):
${round(r.writePath.withTriggerMs, 1)} ms with the records trigger, ${round(r.writePath.withoutTriggerMs, 1)} ms without:
**${round(r.writePath.ratio, 2)} ×** (bench/REPORT.md section 4 measured 10.2 × before sql/100). Of that, ranking
the page's days of \`daily_health\` again (wearhouse_refresh_daily_health over the page's days ± 2,
alone): ${r.writePath.dailyHealthRerankMs} ms per page.

## A missing week at the real budget

WHOOP budget ${m.budgetPerMinute}/min in the sandbox and the worker (child processes). A read of 7 missing days
with \`wait=30s\` (the readFetch workflow: 4 kinds × the span's windows) against a plain \`backfill\` workflow of the
same span for another user, awaited through its result.

| | median ms | runs ms |
| --- | --- | --- |
| /daily until complete | ${m.medianReadMs} | ${m.readMs.join(', ')} |
| backfill workflow (baseline) | ${m.medianBackfillMs} | ${m.backfillMs.join(', ')} |

Read ÷ backfill: ${round(m.medianReadMs / Math.max(1, m.medianBackfillMs), 2)}. Provider requests per missing week: ${m.providerRequestsPerWeek}.
`;
}

/** The same bench before this change (commit 170fe51, bench/READ-API.md there; see above). */
const BEFORE = {
  load: '13.2 / 14.9 / 13.5',
  floorP99: 637.24,
  weekP99: 1189.74,
  monthP50: 758.78,
  monthP99: 2204.74,
  quarterP99: 2238.97,
};

/** Median ms to rank again, alone, the days a page of 25 of the user's newest records spans (± 2). */
async function measureRerank(db: { sql: Sql }, userId: string, pages = 20) {
  const ranges = await db.sql<{ lo: string; hi: string }[]>`
    select (min(d) - 2)::text as lo, (max(d) + 2)::text as hi from (
      select local_day as d, (row_number() over (order by start_at desc) - 1) / 25 as page
      from records
      where user_id = ${userId} and kind in ('cycle', 'sleep', 'workout') and deleted_at is null
      order by start_at desc limit ${pages * 25}) p
    group by page order by page`;
  const times: number[] = [];
  for (const { lo, hi } of ranges) {
    const t = performance.now();
    await db.sql.begin(async (tx) => {
      await tx`select wearhouse_lock_daily_health(${userId})`;
      await tx`select wearhouse_refresh_daily_health(${userId}, ${lo}::date, ${hi}::date)`;
    });
    times.push(performance.now() - t);
  }
  return percentile(times, 50);
}

await main();
