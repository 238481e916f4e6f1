// `npm run bench:budget-claims`: how much of one shared request budget (providers/rate-budget.ts)
// the project's own claim path delivers, without HTTP or Temporal in the way. One embedded Postgres,
// one migrated database; N acquisitions of one provider driven by C concurrent callers (backfills of
// several users and a few incremental syncs, the mix a worker runs) from 1 and from 2 worker
// processes (real child processes, each with its own pool and budget). Reports achieved grants/min
// ÷ B between the first and the last grant, and the database transactions per acquisition
// (pg_stat_database.xact_commit: every autocommit statement is one round trip). Written to
// bench/BUDGET-CLAIMS.json and bench/BUDGET-CLAIMS.md (or --out <dir>).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BudgetLane, inLane } from '../providers/budget-lanes.ts';
import { createSharedBudget } from '../providers/rate-budget.ts';
import { connect } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { startEmbeddedPostgres } from '../worker/stack/postgres.ts';
import { freePort } from '../worker/stack/processes.ts';

interface Scenario {
  name: string;
  requestsPerMinute: number;
  processes: number;
  /** Acquisitions per process. */
  perProcess: number;
  /** Concurrent callers per process. */
  callers: number;
}

const SCENARIOS: Scenario[] = [
  { name: '1 process, B = 600/min', requestsPerMinute: 600, processes: 1, perProcess: 150, callers: 8 },
  { name: '2 processes, B = 600/min', requestsPerMinute: 600, processes: 2, perProcess: 75, callers: 8 },
  {
    name: '1 process, B = 1200/min (the demo)',
    requestsPerMinute: 1200,
    processes: 1,
    perProcess: 300,
    callers: 12,
  },
  { name: '2 processes, B = 1200/min', requestsPerMinute: 1200, processes: 2, perProcess: 150, callers: 12 },
];

/** The child: drives `perProcess` acquisitions from `callers` loops and prints the grant times (epoch ms). */
async function child(url: string, provider: string, rpm: number, perProcess: number, callers: number) {
  const sql = connect(url, { max: 4, applicationName: 'bench-budget-claims' });
  const budget = createSharedBudget(sql, provider, rpm);
  const times: number[] = [];
  let left = perProcess;
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      // One caller in four is an incremental sync; the rest are backfills of their own user.
      const lane: BudgetLane = caller % 4 === 3 ? 'incremental' : 'backfill';
      while (left > 0) {
        left--;
        await inLane({ lane, userId: `user-${process.pid}-${caller}` }, () => budget.acquire());
        times.push(Date.now());
      }
    }),
  );
  await sql.end();
  process.stdout.write(JSON.stringify(times));
}

function runChild(args: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', ...args],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout.on('data', (chunk) => {
      out += chunk;
    });
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}`)),
    );
  });
}

interface Result {
  scenario: string;
  requestsPerMinute: number;
  processes: number;
  acquisitions: number;
  spanSeconds: number;
  achievedPerMinute: number;
  achievedOverB: number;
  /** The most grants in any 60 s / B·k window, k = 10: never more than k (+1 for timer jitter). */
  maxInTenSlots: number;
  transactionsPerAcquisition: number;
}

async function main() {
  const outIndex = process.argv.indexOf('--out');
  const outDir =
    outIndex > 0 ? (process.argv[outIndex + 1] as string) : fileURLToPath(new URL('.', import.meta.url));
  const dir = await mkdtemp(join(tmpdir(), 'wearhouse-bench-claims-'));
  const pg = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), database: 'claims' });
  const admin = connect(pg.adminUrl('postgres'), { max: 1 });
  const results: Result[] = [];
  try {
    const url = pg.adminUrl('claims');
    const setup = connect(url, { max: 1 });
    await migrate(setup);
    await setup.end();
    const commits = async () => {
      // Backends flush their counters when they exit; give the collector a moment.
      await new Promise((r) => setTimeout(r, 1_200));
      const [row] = await admin<{ n: number }[]>`
        select xact_commit::float8 as n from pg_stat_database where datname = 'claims'`;
      return row?.n ?? 0;
    };
    for (const [i, s] of SCENARIOS.entries()) {
      const before = await commits();
      const args = [url, `bench-${i}`, String(s.requestsPerMinute), String(s.perProcess), String(s.callers)];
      const times = (await Promise.all(Array.from({ length: s.processes }, () => runChild(args)))).flat();
      const after = await commits();
      times.sort((a, b) => a - b);
      const spanMs = (times.at(-1) as number) - (times[0] as number);
      const achieved = ((times.length - 1) / spanMs) * 60_000;
      const slotMs = 60_000 / s.requestsPerMinute;
      let maxIn = 0;
      for (let lo = 0, hi = 0; hi < times.length; hi++) {
        while ((times[hi] as number) - (times[lo] as number) >= 10 * slotMs) lo++;
        maxIn = Math.max(maxIn, hi - lo + 1);
      }
      const result: Result = {
        scenario: s.name,
        requestsPerMinute: s.requestsPerMinute,
        processes: s.processes,
        acquisitions: times.length,
        spanSeconds: round(spanMs / 1000),
        achievedPerMinute: round(achieved),
        achievedOverB: round(achieved / s.requestsPerMinute, 3),
        maxInTenSlots: maxIn,
        // The measuring query itself commits in another database; the children's connects do not commit.
        transactionsPerAcquisition: round((after - before) / times.length, 2),
      };
      results.push(result);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    }
  } finally {
    await admin.end();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
  const dirty = execFileSync('git', ['status', '--porcelain']).toString().trim() !== '';
  const saved = { commit, dirty, loadavg: loadavg().map((l) => round(l)), results };
  await writeFile(join(outDir, 'BUDGET-CLAIMS.json'), `${JSON.stringify(saved, null, 2)}\n`);
  process.stdout.write(`saved to ${join(outDir, 'BUDGET-CLAIMS.json')}\n`);
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

if (process.argv[2] === '--child') {
  const [url, provider, rpm, perProcess, callers] = process.argv.slice(3) as [
    string,
    string,
    string,
    string,
    string,
  ];
  await child(url, provider, Number(rpm), Number(perProcess), Number(callers));
} else {
  await main();
}
