// Provider faults over real HTTP: requests that hang past the client timeout, connections reset,
// JSON bodies cut short, malformed records and schema drift (new fields, a new enum value, missing
// optional fields). The backfill completes; every record the sandbox served is either stored (valid
// and drifted ones, payload as served) or quarantined with a reason (malformed ones), and counted.
//
// The worker is the production one (startWorker), configured as an operator would: a 1 s client
// timeout through WHOOP_REQUEST_TIMEOUT_MS, so hung requests fail fast.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackfill } from '../cli/operations.ts';
import type { ServedRecord, WhoopKind } from '../providers/whoop/sandbox/types.ts';
import type { Sql } from '../store/db.ts';
import type { BackfillResult } from '../workflows/backfill.ts';
import {
  connectUser,
  DAY_MS,
  day,
  expectCompleted,
  iso,
  KINDS,
  printFigures,
} from './support/reliability.ts';
import { startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';

const CLIENT_TIMEOUT_MS = 1_000;
const RPM = 3_000;

let stack: WhoopStack;

beforeAll(async () => {
  stack = await startWhoopStack({
    sandbox: { requestsPerMinute: RPM },
    env: { WHOOP_REQUEST_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS) },
  });
});
afterAll(() => stack?.close());

async function backfill(userId: string, from: Date, to: Date): Promise<BackfillResult> {
  const handle = await startBackfill(stack.temporal.client, stack.temporal.config, {
    userId,
    provider: 'whoop',
    from: iso(from),
    to: iso(to),
  });
  return handle.result();
}

interface Partition {
  served: number;
  stored: number;
  drifted: number;
  quarantined: number;
}

/**
 * Every served record of the range is accounted for: valid and drifted ones are stored with the
 * payload exactly as served, malformed ones are each a quarantine row holding the served payload and
 * a reason, and nothing else is in either table.
 */
async function expectEveryServedRecordAccountedFor(
  sql: Sql,
  userId: string,
  kind: WhoopKind,
  from: Date,
  end: Date,
): Promise<Partition> {
  const served = stack.sandbox.control.served(userId, kind, from, end);
  const good = served.filter((r) => r.fault !== 'malformed');
  const bad = served.filter((r) => r.fault === 'malformed');
  // Every record of the user and kind: the user was backfilled over this range only. (No time filter:
  // a recovery stored before its cycle, or whose cycle was quarantined, has no times of its own.)
  const stored = await sql<{ source_id: string; payload: Record<string, unknown> }[]>`
    select source_id, payload from records
    where user_id = ${userId} and kind = ${kind} and deleted_at is null`;
  expect(stored.map((r) => r.source_id).sort(), `${kind}: stored == served (valid + drifted)`).toEqual(
    good.map((r) => r.id).sort(),
  );
  const byId = new Map(stored.map((r) => [r.source_id, r.payload]));
  for (const record of good.filter((r) => r.fault === 'drift')) {
    expect(byId.get(record.id), `${kind} ${record.id}: drifted payload stored as served`).toEqual(
      record.body,
    );
  }
  const quarantine = await sql<{ payload: unknown; reason: string }[]>`
    select payload, reason from quarantine where user_id = ${userId} and kind = ${kind}`;
  expect(quarantine.length, `${kind}: one quarantine row per malformed record served`).toBe(bad.length);
  for (const record of bad) {
    const [row] = await sql<{ n: number; reason: string }[]>`
      select count(*)::int as n, min(reason) as reason from quarantine
      where user_id = ${userId} and kind = ${kind} and payload = ${sql.json(record.body as never)}::jsonb`;
    expect(row?.n, `${kind}: malformed record ${record.id} quarantined`).toBe(1);
    expect(row?.reason, `${kind} ${record.id}: a readable reason`).toMatch(/\w+: .+/);
  }
  return {
    served: served.length,
    stored: stored.length,
    drifted: good.length - served.filter((r) => !r.fault).length,
    quarantined: bad.length,
  };
}

function faultCounts(served: ServedRecord[][]): Record<string, number> {
  const all = served.flat();
  return {
    malformed: all.filter((r) => r.fault === 'malformed').length,
    drift: all.filter((r) => r.fault === 'drift').length,
  };
}

describe('provider faults', () => {
  it('hangs past the timeout, resets, truncated JSON, malformed records and schema drift: completes, nothing dropped', async () => {
    const s = stack;
    await connectUser(s, 'rita');
    s.sandbox.control.setFaults({
      timeoutRate: 0.04,
      connectionResetRate: 0.04,
      truncatedBodyRate: 0.05,
      malformedRecordRate: 0.03,
      schemaDriftRate: 0.1,
    });
    const from = day(-400);
    const to = day(-31);
    const end = new Date(to.getTime() + DAY_MS);
    const result = await backfill('rita', from, to);
    expectCompleted(result);

    const totals: Partition = { served: 0, stored: 0, drifted: 0, quarantined: 0 };
    for (const kind of KINDS) {
      const p = await expectEveryServedRecordAccountedFor(s.db.sql, 'rita', kind, from, end);
      for (const key of Object.keys(totals) as (keyof Partition)[]) totals[key] += p[key];
      // Counted: the result reports at least every quarantined record (a page re-fetched after a
      // failure may count its bad records again, never fewer).
      expect(result.byKind[kind]?.quarantined ?? 0, kind).toBeGreaterThanOrEqual(p.quarantined);
    }
    expect(totals.quarantined).toBeGreaterThan(0);
    expect(totals.drifted).toBeGreaterThan(0);
    expect(totals.stored + totals.quarantined).toBe(totals.served);

    // Each network fault happened, was classified ProviderUnavailable (retried) and left its trace in
    // the run ledger.
    const failures = await s.db.sql<{ timeouts: number; resets: number; truncated: number; other: number }[]>`
      select count(*) filter (where error_message ~ 'timed out after')::int as timeouts,
             count(*) filter (where error_message ~ 'network error')::int as resets,
             count(*) filter (where error_message ~ 'truncated or non-JSON')::int as truncated,
             count(*) filter (where error_class <> 'ProviderUnavailable')::int as other
      from sync_runs where user_id = 'rita' and status = 'failed'`;
    const f = failures[0];
    expect(f?.timeouts).toBeGreaterThan(0);
    expect(f?.resets).toBeGreaterThan(0);
    expect(f?.truncated).toBeGreaterThan(0);
    expect(f?.other).toBe(0);
    const [timeless] = await s.db.sql<{ n: number }[]>`
      select count(*)::int as n from records where user_id = 'rita' and kind = 'recovery' and start_at is null`;
    printFigures('provider-faults', {
      windows: result.windowsTotal,
      apiCalls: result.apiCalls,
      failedAttempts: { timeouts: f?.timeouts, resets: f?.resets, truncated: f?.truncated },
      recordsServed: totals.served,
      stored: totals.stored,
      drifted: totals.drifted,
      quarantined: totals.quarantined,
      recoveriesWithoutTimes: timeless?.n,
    });
  });

  it('a third of the records malformed or drifted: each distinct bad payload gets its own quarantine row', async () => {
    const s = stack;
    await connectUser(s, 'sam');
    s.sandbox.control.setFaults({ malformedRecordRate: 0.3, schemaDriftRate: 0.3 });
    const from = day(-150);
    const to = day(-31);
    const end = new Date(to.getTime() + DAY_MS);
    const result = await backfill('sam', from, to);
    expectCompleted(result);
    const served = KINDS.map((kind) => s.sandbox.control.served('sam', kind, from, end));
    let compared = 0;
    for (const kind of KINDS) {
      const p = await expectEveryServedRecordAccountedFor(s.db.sql, 'sam', kind, from, end);
      compared += p.served;
      // Without network faults no page is fetched twice: the count is exact.
      expect(result.byKind[kind]?.quarantined, kind).toBe(p.quarantined);
      expect(result.byKind[kind]?.inserted, kind).toBe(p.stored);
    }
    printFigures('bad-records', { recordsCompared: compared, ...faultCounts(served) });
  });
});
