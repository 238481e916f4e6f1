// Junction end to end over real HTTP, Temporal and Postgres: connect (validated), a backfill started
// through the Temporal CLI, a re-run that costs no request, a 503 storm survived, incremental sync
// of a revised document. Webhooks through `wearhouse serve`: test/serve-webhooks-junction.test.ts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBackfill, startSync } from '../cli/operations.ts';
import { loadStatus } from '../cli/status.ts';
import { coverageLines } from '../cli/status-coverage.ts';
import { connect } from '../store/db.ts';
import { findOrInstallTemporalCli } from '../worker/stack/temporal-cli.ts';
import type { BackfillResult } from '../workflows/backfill.ts';
import { type JunctionStack, startJunctionStack } from './support/junction-stack.ts';
import { DAY_MS, day, iso } from './support/whoop-stack.ts';

const KINDS = ['sleep', 'activity', 'workouts', 'body'] as const;
let stack: JunctionStack;

beforeAll(async () => {
  stack = await startJunctionStack();
  await stack.connectUser('alice');
  await stack.connectUser('bob');
});
afterAll(() => stack?.close());

const runBackfill = async (input: Record<string, unknown>): Promise<BackfillResult> =>
  (await startBackfill(stack.temporal.client, stack.temporal.config, input as never)).result();

async function storedPayload(userId: string, kind: string, sourceId: string) {
  const [row] = await stack.db.sql<{ payload: Record<string, unknown> }[]>`
    select payload from records where provider = 'junction' and user_id = ${userId} and kind = ${kind}
      and source_id = ${sourceId}`;
  return row?.payload;
}

describe('connect', () => {
  it('refuses a Junction user id the API does not know, and stores nothing', async () => {
    await expect(stack.connect('dave', '00000000-0000-4000-8000-000000000001')).rejects.toThrow(
      /^no such Junction user 00000000-0000-4000-8000-000000000001/,
    );
    const rows = await stack.db.sql`select 1 from connections where user_id = 'dave'`;
    expect(rows).toHaveLength(0);
    const [alice] = await stack.db.sql<{ external_user_id: string }[]>`
      select external_user_id from connections where provider = 'junction' and user_id = 'alice'`;
    expect(alice?.external_user_id).toBe(stack.sandbox.userId('alice'));
  });
});

describe('backfill', () => {
  const from = day(-100);
  const to = day(-41);
  const end = new Date(to.getTime() + DAY_MS);

  it('started through the Temporal CLI, stores exactly what the sandbox serves, with each source', async () => {
    const cli = await findOrInstallTemporalCli();
    const workflowId = `junction-cli-backfill-${Date.now()}`;
    const input = { userId: 'alice', provider: 'junction', from: iso(from), to: iso(to) };
    await promisify(execFile)(cli, [
      'workflow',
      'start',
      '--address',
      inject('temporalAddress'),
      '--namespace',
      stack.temporal.config.TEMPORAL_NAMESPACE,
      '--task-queue',
      stack.temporal.config.TEMPORAL_TASK_QUEUE,
      '--type',
      'backfill',
      '--workflow-id',
      workflowId,
      '--input',
      JSON.stringify(input),
    ]);
    const result = (await stack.temporal.client.workflow.getHandle(workflowId).result()) as BackfillResult;
    expect(result.windowsDone).toBe(result.windowsTotal);
    for (const kind of KINDS) {
      const { served, stored } = await stack.compare('alice', kind, from, end);
      expect(served.length, kind).toBeGreaterThan(kind === 'sleep' ? 55 : 10);
      expect(stored, kind).toEqual(served);
      expect(result.byKind[kind]?.inserted, kind).toBe(served.length);
    }
    const sources = await stack.db.sql<{ kind: string; source: string }[]>`
      select distinct kind, source from records where provider = 'junction' and user_id = 'alice' order by 1, 2`;
    expect(sources).toEqual([
      { kind: 'activity', source: 'apple_health_kit' },
      { kind: 'activity', source: 'oura' },
      { kind: 'body', source: 'withings' },
      { kind: 'sleep', source: 'oura' },
      { kind: 'workouts', source: 'garmin' },
    ]);
    const gaps = await stack.db.sql`
      select kind from coverage where provider = 'junction' and user_id = 'alice' and final group by kind`;
    expect(gaps).toHaveLength(4);
  });

  it('re-running the covered range costs no request and changes nothing', async () => {
    const before = await stack.db.sql`select kind, source_id, last_changed_at from records order by 1, 2`;
    const requests = stack.sandbox.requestCount();
    const result = await runBackfill({ userId: 'alice', provider: 'junction', from: iso(from), to: iso(to) });
    expect(result.windowsTotal).toBe(0);
    expect(stack.sandbox.requestCount()).toBe(requests);
    expect(await stack.db.sql`select kind, source_id, last_changed_at from records order by 1, 2`).toEqual(
      before,
    );
  });

  it('survives a storm of 503s (Retry-After: 1) and loses nothing', async () => {
    stack.sandbox.faults.failNext({ status: 503, retryAfterSeconds: 1 }, 5);
    const before = stack.sandbox.faults.served.get(503) ?? 0;
    const result = await runBackfill({
      userId: 'bob',
      provider: 'junction',
      from: iso(day(-70)),
      to: iso(day(-51)),
    });
    expect((stack.sandbox.faults.served.get(503) ?? 0) - before).toBe(5);
    expect(result.windowsDone).toBe(result.windowsTotal);
    // Each 503 failed one attempt, classified as Junction shedding load, and was retried.
    const failed = await stack.db.sql<{ error_class: string; n: number }[]>`
      select error_class, count(*)::int as n from sync_runs
      where provider = 'junction' and user_id = 'bob' and status = 'failed' group by 1`;
    expect(failed).toEqual([{ error_class: 'RateLimited', n: 5 }]);
    for (const kind of ['sleep', 'activity', 'workouts'] as const) {
      const { served, stored } = await stack.compare('bob', kind, day(-70), day(-50));
      expect(served.length, kind).toBeGreaterThan(kind === 'workouts' ? 5 : 15);
      expect(stored, kind).toEqual(served);
    }
  });
});

describe('incremental sync', () => {
  it('stores the recent days and then the new version of a revised document', async () => {
    const first = await (
      await startSync(stack.temporal.client, stack.temporal.config, { userId: 'alice', provider: 'junction' })
    ).result();
    expect(first).toBeDefined();
    const recent = { start: day(-6), end: day(0) };
    const { served, stored } = await stack.compare('alice', 'sleep', recent.start, recent.end);
    expect(served.length).toBeGreaterThanOrEqual(5);
    expect(stored).toEqual(served);

    const revised = stack.sandbox.revise('alice', 'sleep', iso(day(-3)));
    expect((await storedPayload('alice', 'sleep', revised.id))?.score).toBe((revised.score as number) - 1);
    await (
      await startSync(stack.temporal.client, stack.temporal.config, { userId: 'alice', provider: 'junction' })
    ).result();
    const payload = await storedPayload('alice', 'sleep', revised.id);
    expect(payload?.score).toBe(revised.score);
    expect(payload?.updated_at).toBe(revised.updated_at);
  });
});

describe('opt-in heart rate and the views', () => {
  it('backfills heart-rate samples only when asked by name, paged, with their source', async () => {
    const before = await stack.db.sql<{ n: number }[]>`
      select count(*)::int as n from records where provider = 'junction' and kind = 'heartrate'`;
    expect(before[0]?.n).toBe(0);
    const result = await runBackfill({
      userId: 'alice',
      provider: 'junction',
      from: iso(day(-90)),
      to: iso(day(-89)),
      kinds: ['heartrate'],
    });
    // Two days at one sample per 10 minutes: 288 samples, in pages of 500 (one window).
    expect(result.byKind.heartrate).toMatchObject({ inserted: 288, pages: 1 });
    const grafana = connect(stack.db.grafanaUrl, { max: 1 });
    try {
      const [samples] = await grafana<{ n: number; sources: string[] }[]>`
        select count(*)::int as n, array_agg(distinct source) as sources from heart_rate
        where provider = 'junction' and user_id = 'alice' and at >= ${day(-90)} and at < ${day(-88)}`;
      expect(samples).toEqual({ n: 288, sources: ['oura'] });
      const [sleeps] = await grafana<{ n: number }[]>`
        select count(*)::int as n from sleeps where provider = 'junction' and user_id = 'alice'`;
      const [stored] = await stack.db.sql<{ n: number }[]>`
        select count(*)::int as n from records
        where provider = 'junction' and user_id = 'alice' and kind = 'sleep' and deleted_at is null`;
      expect(sleeps?.n).toBe(stored?.n);
      expect(sleeps?.n).toBeGreaterThan(60);
    } finally {
      await grafana.end();
    }
  });
});

describe('status', () => {
  it('shows covered ranges and the gap between them per provider and kind', async () => {
    // A second covered range of bob's sleep (what a historical.data webhook backfills: see
    // test/serve-webhooks-junction.test.ts), with a gap between it and the one backfilled above.
    await runBackfill({
      userId: 'bob',
      provider: 'junction',
      from: iso(day(-160)),
      to: iso(day(-131)),
      kinds: ['sleep'],
    });
    const [bob] = (await loadStatus(stack.db.sql, 'bob')).filter((row) => row.provider === 'junction');
    const sleep = bob?.coverage.find((c) => c.kind === 'sleep');
    const at = (d: Date) => d.getTime();
    expect(sleep?.covered.map((r) => [Date.parse(r.from), Date.parse(r.to)])).toEqual([
      [at(day(-160)), at(day(-130))],
      [at(day(-70)), at(day(-50))],
    ]);
    expect(sleep?.gaps.map((r) => [Date.parse(r.from), Date.parse(r.to)])).toEqual([
      [at(day(-130)), at(day(-70))],
    ]);
    const activity = bob?.coverage.find((c) => c.kind === 'activity');
    expect(activity?.gaps).toEqual([]);
    expect(coverageLines(bob?.coverage ?? [])).toContain(
      `junction bob sleep: covered ${iso(day(-160))}→${iso(day(-130))}, ${iso(day(-70))}→${iso(day(-50))}; gaps ${iso(day(-130))}→${iso(day(-70))}`,
    );
  });
});
