// store/read-days.ts dayFacts over wearhouse_read_day_facts (sql/115): what /daily decides a day's
// status from — coverage per active pull connection (covered, final), records per provider and day,
// recent fetch failures, the user's existence — and the one generic plan the function keeps, so
// /daily does not pay Postgres' planning on every request (docs/read-api.md, "Measured").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayFacts, type ProviderGate } from '../store/read-days.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

let db: TestDatabase;
const KINDS = ['cycle', 'sleep', 'recovery', 'workout'];
// Finality boundary well after the test's days: their final spans are final, others only covered.
const gates: ProviderGate[] = [
  { provider: 'whoop', kinds: KINDS, finalBefore: new Date('2024-06-01T00:00:00Z') },
];
const now = new Date('2024-07-01T12:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql`insert into users (id) values ('ann'), ('ben')`;
  await db.sql`insert into connections (provider, user_id, status, external_user_id)
               values ('whoop', 'ann', 'active', '1'), ('whoop', 'ben', 'reauth_required', '2')`;
  // ann: every kind final over [03-01, 03-12); sleep also over [03-12, 03-14) but not final.
  for (const kind of KINDS) {
    await db.sql`insert into coverage (provider, user_id, kind, span, final)
                 values ('whoop', 'ann', ${kind}, '[2024-03-01 00:00+00, 2024-03-12 00:00+00)', true)`;
  }
  await db.sql`insert into coverage (provider, user_id, kind, span, final)
               values ('whoop', 'ann', 'sleep', '[2024-03-12 00:00+00, 2024-03-14 00:00+00)', false)`;
  await db.sql`insert into records (provider, user_id, kind, source_id, start_at, end_at, tz_offset, local_day, payload)
               values ('whoop', 'ann', 'workout', 'w1', '2024-03-05 10:00+00', '2024-03-05 11:00+00', '+00:00', '2024-03-05', '{}'),
                      ('whoop', 'ann', 'workout', 'w2', '2024-03-05 18:00+00', '2024-03-05 19:00+00', '+00:00', '2024-03-05', '{}')`;
});
afterAll(() => db?.close());

const facts = (user: string, from: string, to: string, at = now) =>
  dayFacts(db.sql, user, { from, to }, gates, at, 60);

describe('dayFacts (wearhouse_read_day_facts)', () => {
  it('covers a day when every kind covers [D − 1, D + 1); final only by final spans', async () => {
    const result = await facts('ann', '2024-03-01', '2024-03-13');
    expect(result.exists).toBe(true);
    expect(result.activeProviders).toEqual(['whoop']);
    const byDay = Object.fromEntries(result.coverage.map((c) => [c.day, [c.covered, c.final]]));
    expect(byDay['2024-03-01']).toEqual([false, false]); // needs 02-29
    expect(byDay['2024-03-02']).toEqual([true, true]);
    expect(byDay['2024-03-11']).toEqual([true, true]);
    // Only sleep reaches past 03-12: the other kinds leave 03-12 and 03-13 uncovered.
    expect(byDay['2024-03-12']).toEqual([false, false]);
    expect(result.coverage).toHaveLength(13);
    expect(result.records).toEqual([{ provider: 'whoop', day: '2024-03-05', records: 2 }]);
    expect(result.failures).toEqual([]);
  });

  it('a span inside the rescore lookback covers without being final', async () => {
    const recent: ProviderGate[] = [
      { ...(gates[0] as ProviderGate), kinds: ['sleep'], finalBefore: new Date('2024-03-10T00:00:00Z') },
    ];
    const result = await dayFacts(db.sql, 'ann', { from: '2024-03-12', to: '2024-03-12' }, recent, now, 60);
    expect(result.coverage).toEqual([{ provider: 'whoop', day: '2024-03-12', covered: true, final: false }]);
  });

  it('counts only active connections, and tells an unknown user', async () => {
    const ben = await facts('ben', '2024-03-02', '2024-03-03');
    expect(ben.exists).toBe(true);
    expect(ben.activeProviders).toEqual([]);
    expect(ben.coverage).toEqual([]);
    expect((await facts('nobody', '2024-03-02', '2024-03-03')).exists).toBe(false);
  });

  it('reports a fetch failure while it is younger than the hold, with the seconds left', async () => {
    await db.sql`insert into read_fetch_failures (user_id, provider, failed_at, error_type, reason, workflow_id)
                 values ('ann', 'whoop', ${new Date(now.getTime() - 20_000)}, 'ProviderClientError', 'HTTP 400', 'wf')`;
    const [failure] = (await facts('ann', '2024-03-02', '2024-03-02')).failures;
    expect(failure).toMatchObject({ provider: 'whoop', errorType: 'ProviderClientError', retryAfterS: 40 });
    const later = await facts('ann', '2024-03-02', '2024-03-02', new Date(now.getTime() + 60_000));
    expect(later.failures).toEqual([]);
    await db.sql`delete from read_fetch_failures`;
  });

  it('keeps one generic plan: the same answers past the five custom-planned runs', async () => {
    const [fn] = await db.sql<{ proconfig: string[] }[]>`
      select proconfig from pg_proc where proname = 'wearhouse_read_day_facts'`;
    expect(fn?.proconfig).toEqual(['plan_cache_mode=force_generic_plan']);
    const first = await facts('ann', '2024-03-01', '2024-03-13');
    for (let i = 0; i < 8; i++) expect(await facts('ann', '2024-03-01', '2024-03-13')).toEqual(first);
    // Another user and range through the same cached plan still answer for themselves.
    expect((await facts('ann', '2024-03-05', '2024-03-05')).records).toEqual([
      { provider: 'whoop', day: '2024-03-05', records: 2 },
    ]);
    expect((await facts('ben', '2024-03-05', '2024-03-05')).records).toEqual([]);
  });
});
