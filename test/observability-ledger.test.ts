// The run ledger and the request log tell the truth under faults: a backfill with injected 429s,
// 5xx and malformed records, checked against what the sandbox served (computed from its records
// and its own per-record fault decision, not from our pipeline) and what Postgres holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackfill } from '../cli/operations.ts';
import { isMalformed } from '../providers/whoop/sandbox/faults.ts';
import { WHOOP_KINDS, type WhoopKind } from '../providers/whoop/sandbox/index.ts';
import type { StoredRecord } from '../providers/whoop/sandbox/types.ts';
import type { RunningWorker } from '../worker/worker.ts';
import { DAY_MS, dataRequests, day, iso, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';

const USER = 'olga';
const SEED = 'ledger-test';
const MALFORMED_RATE = 0.05;
const from = day(-200);
const to = day(-20);

interface Served {
  good: number;
  malformed: number;
}

let stack: WhoopStack;
let worker: RunningWorker;
let windows: number;
const served = new Map<WhoopKind, Served>();

/** What the sandbox serves for the range, split by its own decision which records it breaks. */
function expectedServed(kind: WhoopKind): Served {
  const bodies = stack.sandbox.control.records(USER, kind, from, new Date(to.getTime() + DAY_MS));
  const ids = bodies.map((b) =>
    String((b as { id?: unknown; cycle_id?: unknown }).id ?? (b as { cycle_id: unknown }).cycle_id),
  );
  const malformed = ids.filter((id) =>
    isMalformed(SEED, { kind, id } as StoredRecord, MALFORMED_RATE),
  ).length;
  return { good: ids.length - malformed, malformed };
}

beforeAll(async () => {
  stack = await startWhoopStack({ worker: false, sandbox: { requestsPerMinute: 3000, seed: SEED } });
  worker = await stack.temporal.startWorker();
  await stack.connectUser(USER);
  stack.sandbox.control.resetStats();
  stack.sandbox.control.setFaults({
    serverErrorRate: 0.1,
    rateLimitStormRate: 0.1,
    malformedRecordRate: MALFORMED_RATE,
  });
  const handle = await startBackfill(stack.temporal.client, stack.temporal.config, {
    userId: USER,
    provider: 'whoop',
    from: iso(from),
    to: iso(to),
  });
  windows = (await handle.result()).windowsTotal;
  stack.sandbox.control.setFaults({});
  // Stopping the worker flushes its request counters to provider_requests.
  await worker.shutdown();
  for (const kind of WHOOP_KINDS) served.set(kind, expectedServed(kind));
}, 300_000);

afterAll(async () => {
  await stack?.close();
});

interface KindLedger {
  kind: string;
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  stored: number;
  bad: number;
  sightings: number;
}

describe('the run ledger (sync_runs) after a backfill with faults', () => {
  it('counts per kind exactly what the sandbox served and what Postgres holds', async () => {
    const rows = await stack.db.sql<KindLedger[]>`
      select s.kind, s.fetched, s.inserted, s.updated, s.unchanged, s.quarantined,
        (select count(*)::int from records r where r.user_id = ${USER} and r.kind = s.kind) as stored,
        (select count(*)::int from quarantine q where q.user_id = ${USER} and q.kind = s.kind) as bad,
        (select coalesce(sum(seen_count), 0)::int from quarantine q where q.user_id = ${USER} and q.kind = s.kind)
          as sightings
      from (select kind, sum(fetched)::int as fetched, sum(inserted)::int as inserted, sum(updated)::int as updated,
                   sum(unchanged)::int as unchanged, sum(quarantined)::int as quarantined
            from sync_runs where user_id = ${USER} group by kind) s
      order by s.kind`;
    expect(rows.map((r) => r.kind)).toEqual([...WHOOP_KINDS].sort());
    let malformedTotal = 0;
    for (const row of rows) {
      const expected = served.get(row.kind as WhoopKind) as Served;
      malformedTotal += expected.malformed;
      expect(row, row.kind).toMatchObject({
        // Each served record counted once: a retried window resumed after its last stored page.
        fetched: expected.good + expected.malformed,
        inserted: expected.good,
        updated: 0,
        unchanged: 0,
        quarantined: expected.malformed,
        stored: expected.good,
        sightings: expected.malformed,
      });
      // Rows, not sightings: two bad records the mapper gives the same guessed id share a row.
      expect(row.bad, row.kind).toBeLessThanOrEqual(expected.malformed);
      if (expected.malformed > 0) expect(row.bad, row.kind).toBeGreaterThan(0);
    }
    expect(malformedTotal).toBeGreaterThan(0);
  });

  it('has one completed row per window, and every failed attempt carries its class and message', async () => {
    const stats = stack.sandbox.control.stats();
    const [completed] = await stack.db.sql<{ rows: number; windows: number }[]>`
      select count(*)::int as rows, count(distinct (kind, window_start))::int as windows
      from sync_runs where user_id = ${USER} and status = 'completed'`;
    expect(completed).toEqual({ rows: windows, windows });
    const failed = await stack.db.sql<
      { error_class: string; n: number; unexplained: number; open: number }[]
    >`
      select error_class, count(*)::int as n,
        count(*) filter (where coalesce(error_message, '') = '')::int as unexplained,
        count(*) filter (where finished_at is null)::int as open
      from sync_runs where user_id = ${USER} and status <> 'completed'
      group by 1 order by 1`;
    // A 429 or a 5xx fails the attempt it hits: one failed row each, no other failures.
    expect(failed).toEqual([
      { error_class: 'ProviderUnavailable', n: stats.injected5xx, unexplained: 0, open: 0 },
      { error_class: 'RateLimited', n: stats.injected429 + stats.budget429, unexplained: 0, open: 0 },
    ]);
    expect(stats.injected5xx).toBeGreaterThan(0);
    expect(stats.injected429).toBeGreaterThan(0);
  });

  it('counts every API call and 429 the sandbox answered', async () => {
    const stats = stack.sandbox.control.stats();
    const [ledger] = await stack.db.sql<{ api_calls: number; rate_limited: number }[]>`
      select sum(api_calls)::int as api_calls, sum(rate_limited)::int as rate_limited
      from sync_runs where user_id = ${USER}`;
    expect(stats.refreshes).toBe(0);
    expect(ledger?.api_calls).toBe(dataRequests(stack.sandbox));
    expect(ledger?.rate_limited).toBe(stats.injected429 + stats.budget429);
  });
});

describe('the request log (provider_requests)', () => {
  it('holds every request the sandbox answered, per endpoint and by status', async () => {
    const stats = stack.sandbox.control.stats();
    const rows = await stack.db.sql<{ endpoint: string; status: number; requests: number }[]>`
      select endpoint, status, sum(requests)::int as requests
      from provider_requests where provider = 'whoop' group by 1, 2`;
    const sum = (keep: (r: (typeof rows)[number]) => boolean) =>
      rows.filter(keep).reduce((n, r) => n + r.requests, 0);
    expect(sum(() => true)).toBe(stats.requests);
    for (const [endpoint, count] of Object.entries(stats.byEndpoint)) {
      expect(
        sum((r) => `GET ${r.endpoint}` === endpoint),
        endpoint,
      ).toBe(count);
    }
    expect(sum((r) => r.status === 429)).toBe(stats.injected429 + stats.budget429);
    expect(sum((r) => r.status >= 500)).toBe(stats.injected5xx);
    expect(sum((r) => r.status === 200)).toBe(
      stats.requests - stats.injected429 - stats.budget429 - stats.injected5xx,
    );
  });
});
