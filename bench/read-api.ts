// `node --import tsx bench/read-api.ts [-- --users 100 --clients 20 --requests 2000]`: the read API
// (docs/read-api.md) measured against its own floor in the same run.
// 1. Complete days: N users × the sandbox's 5 years stored directly in Postgres (bench/dashboard-
//    data.ts: records, coverage of every 30-day window, the pipeline tables), C concurrent clients
//    asking /daily for random users and windows that are all covered, against `wearhouse serve` as
//    its own process (as deployed: the clients' fetch does not run on serve's event loop) and, as
//    before, against serve started in this process. Baseline: the same clients on a route that
//    answers 404 at once (HTTP + Fastify floor). CPU per request is read from /proc: serve's process
//    (or this one, clients included), serve's Postgres backends, this process (the clients).
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
import { spawnServeProcess } from '../test/support/serve-process.ts';
import { loadConfig } from '../worker/config.ts';
import { createLogger } from '../worker/logger.ts';
import { freePort } from '../worker/stack/processes.ts';
import { loadDashboardData } from './dashboard-data.ts';
import { connectUser, isoDay, newTaskQueue, runBackfill, startServices } from './harness.ts';
import { type CompleteRuns, type Latency, measureComplete } from './read-api-complete.ts';
import { spawnSandbox } from './sandbox-process.ts';
import { percentile, round } from './stats.ts';
import { spawnWorker } from './worker-process.ts';
import { measureWritePath, type WritePathTiming } from './write-path.ts';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const log = (line: string) =>
  process.stderr.write(`[read-api ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

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
    const token = (await createReadToken(db.sql, { allUsers: true })).token;
    const runs = (serveUrl: string, servePid: number) =>
      measureComplete(db.sql, { serveUrl, servePid, token, users: loaded.users, clients, total });
    // serve as deployed: its own process.
    const served = await spawnServeProcess(await freePort(), {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: services.temporalAddress,
      TEMPORAL_TASK_QUEUE: queue,
      TOKEN_ENCRYPTION_KEY: services.tokenKey,
      LOG_LEVEL: 'warn',
    });
    const ownProcess = await runs(served.url, served.child.pid as number).finally(() =>
      served.kill('SIGTERM'),
    );
    // serve in this process, as the bench ran it before (the clients share its event loop).
    const serve = await startServe({
      config: loadConfig({ TEMPORAL_TASK_QUEUE: queue, LOG_LEVEL: 'warn' }),
      databaseUrl: db.url,
      temporalAddress: services.temporalAddress,
      tokenEncryptionKey: services.tokenKey,
      logger,
      port: 0,
      host: '127.0.0.1',
    });
    const inProcess = await runs(serve.url, process.pid).finally(() => serve.close());
    const { floor, week, month, quarter } = ownProcess;
    log(
      `own process: floor p99 ${floor.p99} ms; 7 days p99 ${week.p99} ms; 30 days p99 ${month.p99} ms; 92 days p99 ${quarter.p99} ms`,
    );
    log(`in process: floor p99 ${inProcess.floor.p99} ms; 30 days p99 ${inProcess.month.p99} ms`);
    const writePath = await measureWritePath(db, loaded.users[0] as string);
    const rerankMs = await measureRerank(db, loaded.users[0] as string);
    log(`write path ×${round(writePath.ratio, 2)}; daily_health re-rank ${round(rerankMs, 1)} ms per page`);

    // 2. A missing week at the real budget (--weeks 0: skipped).
    const missingWeek = weeks > 0 ? await measureMissingWeek(services, logger, weeks) : undefined;

    const result = {
      machine: { cpus: os.cpus().length, loadAverage: os.loadavg().map((l) => round(l)) },
      data: {
        users: userCount,
        records: loaded.records,
        loadSeconds: round(loaded.loadSeconds, 0),
      },
      complete: { clients, ...ownProcess },
      completeInProcess: inProcess,
      writePath: { ...writePath, dailyHealthRerankMs: round(rerankMs, 1) },
      missingWeek,
    };
    await writeFile(`${benchDir}READ-API.json`, `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(`${benchDir}READ-API.md`, report(result));
    log('wrote bench/READ-API.md and .json');
  } finally {
    await services.stop();
  }
}

/** Part 2: reads of missing weeks with wait=30s against plain backfills of the same spans. */
async function measureMissingWeek(
  services: Awaited<ReturnType<typeof startServices>>,
  logger: ReturnType<typeof createLogger>,
  weeks: number,
) {
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

  return {
    budgetPerMinute: 100,
    readMs: readTimes.map((t) => round(t, 0)),
    backfillMs: backfillTimes.map((t) => round(t, 0)),
    medianReadMs: round(percentile(readTimes, 50), 0),
    medianBackfillMs: round(percentile(backfillTimes, 50), 0),
    providerRequestsPerWeek: round(readRequests / weeks, 1),
  };
}

interface MissingWeek {
  budgetPerMinute: number;
  medianReadMs: number;
  medianBackfillMs: number;
  readMs: number[];
  backfillMs: number[];
  providerRequestsPerWeek: number;
}

function report(r: {
  machine: { cpus: number; loadAverage: number[] };
  data: { users: number; records: number; loadSeconds: number };
  complete: CompleteRuns & { clients: number };
  completeInProcess: CompleteRuns;
  writePath: WritePathTiming & { dailyHealthRerankMs: number };
  missingWeek: MissingWeek | undefined;
}): string {
  const c = r.complete;
  const inP = r.completeInProcess;
  const row = (name: string, l: Latency, floor: Latency) =>
    `| ${name} | ${l.requests} | ${l.p50} | ${l.p99} | ${l.max} | ${l.perSecond} | ${round(l.p50 / floor.p50, 1)} | ${round(l.p99 / floor.p99, 1)} | ${l.cpu?.serveMs} | ${l.cpu?.postgresMs} | ${l.cpu?.clientMs} |`;
  const header =
    '| request | n | p50 ms | p99 ms | max ms | req/s | p50 ÷ floor | p99 ÷ floor | serve CPU ms/req | Postgres CPU ms/req | clients CPU ms/req |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |';
  const cpu = (l: Latency) => (l.cpu ? l.cpu.serveMs + l.cpu.postgresMs + l.cpu.clientMs : 0);
  // What 2 cores can answer at most if nothing else ran: 2000 ms of CPU a second over the request's CPU.
  const ceiling = (l: Latency) => round(2000 / Math.max(0.01, cpu(l)), 0);
  return `# Read API (bench/read-api.ts)

Machine: ${r.machine.cpus} cores, load average ${r.machine.loadAverage.join(' / ')} at the end; shared with other work,
so absolute figures are this run's; the ratios compare with the floor measured in the same run.

## Complete days

${r.data.users} users × 5 years (${r.data.records} WHOOP records, loaded in ${r.data.loadSeconds} s; coverage of
every 30-day window; bench/dashboard-data.ts), ${c.clients} concurrent clients (fetch) in the bench's process,
\`wait=0\`, random users and windows that lie in covered history. Days not answered complete: ${c.notComplete + inP.notComplete}.
Floor: the same clients on a route answering 404 (HTTP, Fastify, the client). CPU per request from
/proc: serve's process, serve's Postgres backends, the bench's process (the clients).

### \`wearhouse serve\` as its own process (as deployed)

${header}
${row('floor (404)', c.floor, c.floor)}
${row('/daily 7 days', c.week, c.floor)}
${row('/daily 30 days', c.month, c.floor)}
${row('/daily 92 days', c.quarter, c.floor)}

One client alone (nothing queued in front of a request): floor p50 ${c.floorAlone.p50} ms, /daily 30 days
p50 ${c.monthAlone.p50} ms, p99 ${c.monthAlone.p99} ms (${c.monthAlone.perSecond} req/s).

### serve in the bench's process (as earlier runs measured it: the clients share serve's event loop)

${header}
${row('floor (404)', inP.floor, inP.floor)}
${row('/daily 7 days', inP.week, inP.floor)}
${row('/daily 30 days', inP.month, inP.floor)}
${row('/daily 92 days', inP.quarter, inP.floor)}

One client alone: floor p50 ${inP.floorAlone.p50} ms, /daily 30 days p50 ${inP.monthAlone.p50} ms, p99 ${inP.monthAlone.p99} ms.

### Before

The previous run of this bench (serve in the bench's process; commit 39e85e6, load ${BEFORE.load}): floor p99
${BEFORE.floorP99} ms; /daily 30 days p50 ${BEFORE.monthP50} ms, p99 ${BEFORE.monthP99} ms (${BEFORE.monthPerSecond} req/s);
7 days p99 ${BEFORE.weekP99} ms; 92 days p99 ${BEFORE.quarterP99} ms. Before sql/100 (commit 170fe51, load
13.2 / 14.9 / 13.5): /daily 30 days p99 2204.74 ms.

Goal (issue): p99 < 50 ms for complete days at 100 users × 5 years.

### What bounds it

A /daily 30-day request costs ${cpu(c.month).toFixed(2)} ms of CPU in all (serve ${c.month.cpu?.serveMs}, Postgres
${c.month.cpu?.postgresMs}, clients ${c.month.cpu?.clientMs}): 2 cores answer at most ~${ceiling(c.month)} a second if nothing else
runs (the floor: ${cpu(c.floor).toFixed(2)} ms, ~${ceiling(c.floor)} a second). ${c.clients} clients that each ask again as soon as they
are answered keep ${c.clients} requests in the system, so the mean latency is ${c.clients} ÷ the rate (Little's law):
${round((1000 * c.clients) / c.month.perSecond, 1)} ms at the measured ${c.month.perSecond} a second; the p99 adds the queue's
bursts and the machine's other work.

What a request costs now (docs/read-api.md, "Measured"): one statement, wearhouse_read_day_facts
(sql/115) — the user, their active connections, the coverage of the days, the records per provider
and day, the stored \`daily_health\` rows (an index range, sql/100) and recent fetch failures — with one
generic plan per connection (prepared as a plain statement, Postgres planned it again on every
request: more CPU than running it), no token query while the token is cached, and the answer
serialized once.

## Write path

A page of 25 changed records of ${r.writePath.user} (own transaction, median of ${r.writePath.pages}):
${round(r.writePath.withTriggerMs, 1)} ms with the records trigger, ${round(r.writePath.withoutTriggerMs, 1)} ms without:
**${round(r.writePath.ratio, 2)} ×** (bench/REPORT.md section 4 measured 10.2 × before sql/100). Of that, ranking
the page's days of \`daily_health\` again (wearhouse_refresh_daily_health over the page's days ± 2,
alone): ${r.writePath.dailyHealthRerankMs} ms per page.
${r.missingWeek ? missingWeekReport(r.missingWeek) : '\n(A missing week: not measured in this run, --weeks 0.)\n'}`;
}

function missingWeekReport(m: MissingWeek): string {
  return `
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

/** The previous run of this bench (commit 39e85e6; bench/READ-API.md at 479ccce). */
const BEFORE = {
  load: '1.75 / 1.6 / 1.92',
  floorP99: 43.63,
  weekP99: 76.84,
  monthP50: 63.38,
  monthP99: 108.11,
  monthPerSecond: 310,
  quarterP99: 188.08,
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
