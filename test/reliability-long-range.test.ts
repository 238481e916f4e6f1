// Long ranges: five years of several users in one worker process. With a small `windowsPerRun`
// every backfill continues as new many times, carrying its progress; every run completes with
// exactly what the sandbox serves, and the worker's resident memory stays bounded (measured, and
// only a generous bound asserted: no timing).
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
  rssMiB,
} from './support/reliability.ts';
import { startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';
import { spawnWorkerProcess, type WorkerProcess, waitUntil } from './support/worker-process.ts';

const USERS = ['xena', 'yuri', 'zoe'];
const WINDOWS_PER_RUN = 20;
const RSS_BOUND_MIB = 1024;

let stack: WhoopStack | undefined;
let worker: WorkerProcess | undefined;
afterAll(async () => {
  await worker?.kill('SIGKILL');
  await stack?.close();
});

describe('five-year backfills', () => {
  it(`${USERS.length} users × 5 years continue as new every ${WINDOWS_PER_RUN} windows, memory bounded`, async () => {
    stack = await startWhoopStack({ worker: false, sandbox: { requestsPerMinute: 6000 } });
    const s = stack;
    for (const userId of USERS) await connectUser(s, userId);
    worker = spawnWorkerProcess(s.temporal, s.db.url);
    const w = worker;
    await waitUntil('the worker to start', async () => w.output.join('').includes('worker started'));
    const pid = w.child.pid as number;
    const rssStart = rssMiB(pid);

    const from = day(-5 * 365);
    const to = day(-31);
    const handles = await Promise.all(
      USERS.map((userId) =>
        startBackfill(s.temporal.client, s.temporal.config, {
          userId,
          provider: 'whoop',
          from: iso(from),
          to: iso(to),
          options: { windowsPerRun: WINDOWS_PER_RUN },
        } as never),
      ),
    );
    let rssPeak = rssStart;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssMiB(pid));
    }, 250);
    const results = await Promise.all(handles.map((h) => h.result())).finally(() => clearInterval(sampler));
    const rssEnd = rssMiB(pid);
    rssPeak = Math.max(rssPeak, rssEnd);

    let compared = 0;
    let runs = 0;
    for (const [i, userId] of USERS.entries()) {
      const result = results[i] as (typeof results)[number];
      expectCompleted(result);
      // Every run but the last handed over after at most WINDOWS_PER_RUN windows.
      expect(result.continuedAsNew, userId).toBeGreaterThanOrEqual(
        Math.ceil(result.windowsTotal / WINDOWS_PER_RUN) - 1,
      );
      // The history agrees: one execution per run, all but the last closed as ContinuedAsNew.
      const executions: string[] = [];
      for await (const execution of s.temporal.client.workflow.list({
        query: `WorkflowId = '${handles[i]?.workflowId}'`,
      })) {
        executions.push(execution.status.name);
      }
      expect(executions.length, userId).toBe(result.continuedAsNew + 1);
      expect(executions.filter((status) => status === 'CONTINUED_AS_NEW').length, userId).toBe(
        result.continuedAsNew,
      );
      runs += executions.length;
      compared += await expectStoredEqualsServed(
        s.db.sql,
        s.sandbox,
        userId,
        from,
        new Date(to.getTime() + DAY_MS),
      );
    }
    expect(rssPeak).toBeLessThan(RSS_BOUND_MIB);
    printFigures('long-range', {
      users: USERS.length,
      years: 5,
      windows: results.reduce((n, r) => n + r.windowsTotal, 0),
      windowsPerRun: WINDOWS_PER_RUN,
      continuedAsNew: results.map((r) => r.continuedAsNew),
      workflowRuns: runs,
      apiCalls: results.reduce((n, r) => n + r.apiCalls, 0),
      recordsCompared: compared,
      rssMiB: { start: rssStart, peak: rssPeak, end: rssEnd },
    });
  });
});
