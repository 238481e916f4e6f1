// bench/read-api.ts, part 1: /daily for complete days under concurrent clients against one running
// `serve`, next to the floor (a route answering 404) of the same serve, and what each request costs
// in CPU: serve's process, serve's Postgres backends and this process (the clients), read from
// /proc around each run. When serve runs in this process its figure includes the clients'.
import { readFileSync } from 'node:fs';
import type { Sql } from '../store/db.ts';
import { isoDay } from './harness.ts';
import { percentile, round } from './stats.ts';

/** Linux reports /proc/<pid>/stat times in USER_HZ ticks, 100 per second on every arch we run. */
const MS_PER_TICK = 10;

export interface CpuPerRequest {
  /** serve's process (with the clients when serve runs in this process). */
  serveMs: number;
  /** The Postgres backends serve's pool and listener hold. */
  postgresMs: number;
  /** This process: the clients (0 when serve runs in it: counted in serveMs). */
  clientMs: number;
}

export interface Latency {
  requests: number;
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
  cpu?: CpuPerRequest;
}

export interface CompleteRuns {
  floor: Latency;
  week: Latency;
  month: Latency;
  quarter: Latency;
  floorAlone: Latency;
  monthAlone: Latency;
  /** Answers that were not 200 with every day settled. */
  notComplete: number;
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

function cpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // A backend that ended meanwhile: its time is lost from both readings alike.
    }
  }
  return ticks * MS_PER_TICK;
}

export async function measureComplete(
  sql: Sql,
  options: {
    serveUrl: string;
    servePid: number;
    token: string;
    users: readonly string[];
    clients: number;
    total: number;
  },
): Promise<CompleteRuns> {
  const { serveUrl, servePid, users, clients, total } = options;
  const headers = { authorization: `Bearer ${options.token}` };
  const inProcess = servePid === process.pid;
  // Covered: from 5 years + 31 days ago (plus the day before) to 31 days ago.
  const oldest = 5 * 365 + 29;
  const newest = 33;
  let notComplete = 0;
  const dailyRun = (span: number) => async (i: number) => {
    const user = users[(i * 7919) % users.length] as string;
    const end = newest + ((i * 104_729) % (oldest - newest - span));
    const url = `${serveUrl}/v1/users/${user}/daily?from=${isoDay(-(end + span - 1))}&to=${isoDay(-end)}&wait=0`;
    const response = await fetch(url, { headers });
    const body = (await response.json()) as { days: { status: string }[] };
    if (response.status !== 200 || body.days.some((d) => d.status === 'pending')) notComplete++;
  };
  const floorRun = async () => {
    const response = await fetch(`${serveUrl}/v1/nothing`, { headers });
    await response.arrayBuffer();
  };
  await drive(clients, 200, dailyRun(7)); // warm-up: JIT, pools, plan caches
  const backends = (
    await sql<{ pid: number }[]>`
      select pid from pg_stat_activity
      where datname = current_database() and application_name = 'wearhouse-serve'`
  ).map((r) => r.pid);
  const measured = async (n: number, requests: number, request: (i: number) => Promise<void>) => {
    const client0 = process.cpuUsage();
    const serve0 = cpuMs([servePid]);
    const pg0 = cpuMs(backends);
    const latency = await drive(n, requests, request);
    const client = process.cpuUsage(client0);
    const per = (ms: number) => round(ms / latency.requests, 2);
    latency.cpu = {
      serveMs: per(cpuMs([servePid]) - serve0),
      postgresMs: per(cpuMs(backends) - pg0),
      clientMs: inProcess ? 0 : per((client.user + client.system) / 1000),
    };
    return latency;
  };
  // One client: what a request costs when nothing queues in front of it.
  const floorAlone = await measured(1, 300, floorRun);
  const monthAlone = await measured(1, 300, dailyRun(30));
  const floor = await measured(clients, total, floorRun);
  const week = await measured(clients, total, dailyRun(7));
  const month = await measured(clients, total, dailyRun(30));
  const quarter = await measured(clients, Math.round(total / 2), dailyRun(92));
  return { floor, week, month, quarter, floorAlone, monthAlone, notComplete };
}
