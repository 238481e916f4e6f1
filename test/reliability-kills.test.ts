// Worker processes SIGKILLed at random moments while two multi-window backfills run: after each kill
// a new worker process starts, and in the end every run completes with exactly the records the
// sandbox serves, each inserted once. Kill moments come from a seeded PRNG; the seed is printed
// (RELIABILITY_SEED=<n> replays it).
import { afterAll, describe, expect, it } from 'vitest';
import { startBackfill } from '../cli/operations.ts';
import {
  connectUser,
  DAY_MS,
  day,
  expectCompleted,
  expectStoredEqualsServed,
  iso,
  printFigures,
  seededRandom,
  sleep,
} from './support/reliability.ts';
import { startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';
import { spawnWorkerProcess, type WorkerProcess, waitUntil } from './support/worker-process.ts';

const KILLS = 4;
const seed = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000);

let stack: WhoopStack | undefined;
const workers: WorkerProcess[] = [];
afterAll(async () => {
  for (const w of workers) await w.kill('SIGKILL');
  await stack?.close();
});

describe('worker killed with SIGKILL at random moments', () => {
  it(`${KILLS} kills across two backfills: every run completes, stored == served, each record inserted once`, async () => {
    const random = seededRandom(seed);
    stack = await startWhoopStack({ worker: false, sandbox: { requestsPerMinute: 600 } });
    const s = stack;
    const users = [
      { userId: 'kate', from: day(-480), to: day(-31) },
      { userId: 'leo', from: day(-250), to: day(-31) },
    ];
    for (const u of users) await connectUser(s, u.userId);
    const storedPages = async () => {
      const [row] = await s.db.sql<{ pages: number }[]>`
        select coalesce(sum(pages), 0)::int as pages from sync_runs`;
      return row?.pages ?? 0;
    };
    const started = () => {
      const w = spawnWorkerProcess(s.temporal, s.db.url);
      workers.push(w);
      return w;
    };

    let worker = started();
    const handles = await Promise.all(
      users.map((u) =>
        startBackfill(s.temporal.client, s.temporal.config, {
          userId: u.userId,
          provider: 'whoop',
          from: iso(u.from),
          to: iso(u.to),
          options: { heartbeatTimeoutSeconds: 2 },
        } as never),
      ),
    );

    let killsWhileRunning = 0;
    const moments: number[] = [];
    for (let trial = 0; trial < KILLS; trial++) {
      await waitUntil('the worker to start', async () => worker.output.join('').includes('worker started'));
      // Progress under this worker first, so every kill interrupts real work, then a random moment.
      const before = await storedPages();
      await waitUntil('a page stored by this worker', async () => (await storedPages()) > before, 60_000);
      const delayMs = Math.round(300 + random() * 2_700);
      moments.push(delayMs);
      await sleep(delayMs);
      const running = await Promise.all(handles.map(async (h) => (await h.describe()).status.name));
      if (running.includes('RUNNING')) killsWhileRunning++;
      await worker.kill('SIGKILL');
      expect(worker.child.signalCode).toBe('SIGKILL');
      worker = started();
    }

    const results = await Promise.all(handles.map((h) => h.result()));
    let compared = 0;
    for (const [i, u] of users.entries()) {
      expectCompleted(results[i] as (typeof results)[number]);
      compared += await expectStoredEqualsServed(
        s.db.sql,
        s.sandbox,
        u.userId,
        u.from,
        new Date(u.to.getTime() + DAY_MS),
      );
    }
    expect(killsWhileRunning).toBe(KILLS);

    // Each record inserted once across every attempt (a page re-fetched after a kill is "unchanged"),
    // and the killed attempts are still visible in the run ledger as never finished.
    const ledger = await s.db.sql<{ user_id: string; inserted: number; records: number }[]>`
      select r.user_id, r.records, coalesce(l.inserted, 0)::int as inserted
      from (select user_id, count(*)::int as records from records group by 1) r
      left join (select user_id, sum(inserted) as inserted from sync_runs group by 1) l using (user_id)`;
    for (const row of ledger) expect(row.inserted, row.user_id).toBe(row.records);
    const [attempts] = await s.db.sql<{ interrupted: number; retried: number; attempts: number }[]>`
      select count(*) filter (where status = 'running')::int as interrupted,
             count(distinct (user_id, kind, window_start)) filter (where attempt > 1)::int as retried,
             count(*)::int as attempts
      from sync_runs`;
    expect(attempts?.interrupted).toBeGreaterThan(0);
    expect(attempts?.retried).toBeGreaterThan(0);

    printFigures('kills', {
      seed,
      kills: KILLS,
      killsWhileRunning,
      killDelaysMs: moments,
      workerProcesses: workers.length,
      backfills: users.length,
      windows: results.reduce((n, r) => n + r.windowsTotal, 0),
      activityAttempts: attempts?.attempts,
      interruptedAttempts: attempts?.interrupted,
      windowsRetried: attempts?.retried,
      recordsCompared: compared,
    });
  });
});
