// The WHOOP sandbox over real HTTP: spec conformance, paging semantics, OAuth rotation, the request
// budget, data changes (rescore, delete, extend), determinism and injected faults. No Postgres, no
// Temporal, no mocks.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWhoopSandbox, type WhoopKind, type WhoopSandbox } from '../providers/whoop/sandbox/index.ts';
import { get, type Json, keyOf, PATHS, pageAll, type Rec } from './fixtures/whoop-sandbox-http.ts';
import { loadWhoopSpec, RECORD_SCHEMA } from './fixtures/whoop-spec.ts';

const NOW = Date.parse('2026-03-15T12:00:00.000Z');
const DAY = 86_400_000;
const KINDS: WhoopKind[] = ['cycle', 'sleep', 'recovery', 'workout'];
const spec = loadWhoopSpec();

describe('WHOOP sandbox: data and spec', () => {
  let sb: WhoopSandbox;
  let token: string;
  beforeAll(async () => {
    sb = await startWhoopSandbox({
      now: () => new Date(NOW),
      seed: 'test',
      historyDays: 400,
      requestsPerMinute: 1e6,
    });
    token = sb.control.issueTokens('alice').accessToken;
  });
  afterAll(() => sb.close());

  it('serves every collection and single endpoint in the shapes the spec documents', async () => {
    const names = {
      cycle: 'PaginatedCycleResponse',
      sleep: 'PaginatedSleepResponse',
      recovery: 'RecoveryCollection',
      workout: 'WorkoutCollection',
    } as const;
    const first: Record<string, Rec[]> = {};
    for (const kind of KINDS) {
      const res = await get(sb, token, `${PATHS[kind]}?limit=25&end=2025-12-01T00:00:00.000Z`);
      expect(res.status).toBe(200);
      expect(spec.check(names[kind], res.json)).toBeUndefined();
      expect(res.json.next_token).toEqual(expect.any(String));
      first[kind] = res.json.records as Rec[];
    }
    const cycle = first.cycle?.find((c) => c.score_state === 'SCORED');
    const sleep = first.sleep?.[0];
    const workout = first.workout?.[0];
    const singles: [string, Parameters<typeof spec.check>[0]][] = [
      [`/v2/cycle/${cycle?.id}`, 'Cycle'],
      [`/v2/cycle/${cycle?.id}/recovery`, 'Recovery'],
      [`/v2/cycle/${cycle?.id}/sleep`, 'Sleep'],
      [`/v2/activity/sleep/${sleep?.id}`, 'Sleep'],
      [`/v2/activity/workout/${workout?.id}`, 'WorkoutV2'],
      ['/v2/user/profile/basic', 'UserBasicProfile'],
      ['/v2/user/measurement/body', 'UserBodyMeasurement'],
    ];
    for (const [path, schema] of singles) {
      const res = await get(sb, token, path);
      expect(res.status, path).toBe(200);
      expect(spec.check(schema, res.json), path).toBeUndefined();
    }
    expect((await get(sb, token, `/v2/cycle/${cycle?.id}/sleep`)).json.cycle_id).toBe(cycle?.id);
    expect((await get(sb, token, '/v2/cycle/1')).status).toBe(404);
    expect((await get(sb, token, '/v2/cycle/abc')).status).toBe(400);
    expect((await get(sb, token, '/v2/activity/sleep/not-a-uuid')).status).toBe(400);
    expect((await get(sb, token, '/v2/activity/workout/00000000-0000-4000-8000-000000000000')).status).toBe(
      404,
    );
  });

  it('pages over a year to exactly control.records: newest first, no duplicates, every record valid', async () => {
    const start = new Date(NOW - 365 * DAY);
    const query = `limit=25&start=${start.toISOString()}`;
    for (const kind of KINDS) {
      const { records, pages } = await pageAll(sb, token, kind, query);
      const expected = sb.control.records('alice', kind, start);
      expect(records).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / 25));
      expect(new Set(records.map((r) => keyOf(kind, r))).size).toBe(records.length);
      const starts = kind === 'recovery' ? [] : records.map((r) => Date.parse(r.start ?? ''));
      for (let i = 1; i < starts.length; i++) expect(starts[i]).toBeLessThanOrEqual(starts[i - 1] ?? 0);
      for (const s of starts) expect(s >= start.getTime() && s < NOW).toBe(true);
      for (const r of records) expect(spec.check(RECORD_SCHEMA[kind], r), JSON.stringify(r)).toBeUndefined();
      const states = new Set(records.map((r) => r.score_state));
      if (kind !== 'workout') expect([...states].sort()).toEqual(['PENDING_SCORE', 'SCORED', 'UNSCORABLE']);
    }
    // A smaller page size walks the same records.
    const small = await pageAll(sb, token, 'sleep', `limit=7&start=${start.toISOString()}`);
    expect(small.records).toEqual(sb.control.records('alice', 'sleep', start));
  });

  it('filters start <= record.start < end, recoveries by their cycle start', async () => {
    const cycles = sb.control.records('alice', 'cycle') as Rec[];
    const target = cycles[40] as Rec;
    const at = target.start as string;
    const justAfter = new Date(Date.parse(at) + 1).toISOString();
    const inclusive = await get(sb, token, `/v2/cycle?start=${at}&end=${justAfter}`);
    expect((inclusive.json.records as Rec[]).map((r) => r.id)).toEqual([target.id]);
    const exclusive = await get(sb, token, `/v2/cycle?end=${at}&limit=1`);
    expect((exclusive.json.records as Rec[])[0]?.id).toBe(cycles[41]?.id);
    const recovery = await get(sb, token, `/v2/recovery?start=${at}&end=${justAfter}`);
    expect((recovery.json.records as Rec[]).map((r) => r.cycle_id)).toEqual([target.id]);
    // Without end, the window ends now; the open cycle (no end yet) is newest.
    const latest = await get(sb, token, '/v2/cycle?limit=1');
    expect((latest.json.records as Rec[])[0]).toEqual(cycles[0]);
    expect(cycles[0]?.end).toBeUndefined();
  });

  it('rejects bad paging parameters with 400', async () => {
    for (const q of [
      'limit=0',
      'limit=26',
      'limit=2.5',
      'limit=-1',
      'limit=abc',
      'limit=',
      'start=yesterday',
      'end=2024-13-45T00:00:00Z',
      'start=2024-01-01',
      'nextToken=%%%',
      'nextToken=bm9wZQ',
    ]) {
      expect((await get(sb, token, `/v2/cycle?${q}`)).status, q).toBe(400);
    }
    expect(((await get(sb, token, '/v2/cycle')).json.records as Rec[]).length).toBe(10);
    expect(((await get(sb, token, '/v2/cycle?limit=25')).json.records as Rec[]).length).toBe(25);
    const offset = encodeURIComponent('2024-01-01T00:00:00+01:00');
    expect((await get(sb, token, `/v2/cycle?start=${offset}&limit=1`)).status).toBe(200);
    const unencoded = await get(sb, token, '/v2/cycle?start=2024-01-01T00:00:00+01:00');
    expect(unencoded.json.message).toMatch(/%2B/);
  });

  it('generates coherent physiology', () => {
    const cycles = sb.control.records('alice', 'cycle') as Rec[];
    const sleeps = sb.control.records('alice', 'sleep') as Rec[];
    const recoveries = sb.control.records('alice', 'recovery') as Rec[];
    const workouts = sb.control.records('alice', 'workout') as Rec[];
    const sleepById = new Map(sleeps.map((s) => [s.id, s]));
    // Cycles chain: each ends where the next begins and opens with that night's (non-nap) sleep.
    for (let i = 1; i < cycles.length; i++) expect(cycles[i]?.end).toBe(cycles[i - 1]?.start);
    expect((cycles[0]?.id as number) > (cycles[1]?.id as number)).toBe(true);
    for (const r of recoveries) {
      const s = sleepById.get(r.sleep_id as string);
      expect(s?.cycle_id).toBe(r.cycle_id);
      expect(s?.nap).toBe(false);
    }
    for (const s of sleeps) {
      const stages = (s.score as Json | undefined)?.stage_summary as Record<string, number> | undefined;
      if (!stages) continue;
      const { total_in_bed_time_milli: inBed = 0, ...rest } = stages;
      const parts = ['awake', 'no_data', 'light_sleep', 'slow_wave_sleep', 'rem_sleep'].map(
        (stage) => rest[`total_${stage}_time_milli`] ?? Number.NaN,
      );
      expect(parts.reduce((a, b) => a + b, 0)).toBe(inBed);
      expect(inBed).toBe(Date.parse(s.end ?? '') - Date.parse(s.start ?? ''));
      if (!s.nap) expect(inBed / 3_600_000).toBeGreaterThanOrEqual(5.5);
    }
    for (const w of workouts) {
      const score = w.score as Json | undefined;
      if (!score) continue;
      const zones = Object.values(score.zone_durations as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(zones).toBe(Date.parse(w.end ?? '') - Date.parse(w.start ?? ''));
      expect(score.strain as number).toBeGreaterThanOrEqual(0);
      expect(score.strain as number).toBeLessThanOrEqual(21);
    }
    expect(sleeps.some((s) => s.nap)).toBe(true);
    expect(new Set(workouts.map((w) => w.sport_name)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(cycles.map((c) => c.timezone_offset)).size).toBeGreaterThan(1);
    // Recovery follows sleep: well-slept nights recover better on average.
    const perf = new Map(
      sleeps.map((s) => [s.id, (s.score as Json | undefined)?.sleep_performance_percentage as number]),
    );
    const scored = recoveries
      .filter((r) => r.score)
      .map((r) => [perf.get(r.sleep_id as string) ?? 0, (r.score as Json).recovery_score as number]);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const good = mean(scored.filter(([p]) => (p ?? 0) >= 90).map(([, r]) => r ?? 0));
    const poor = mean(scored.filter(([p]) => (p ?? 0) < 80).map(([, r]) => r ?? 0));
    expect(good).toBeGreaterThan(poor);
  });
});
