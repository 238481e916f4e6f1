// The WHOOP sandbox over real HTTP: spec conformance, paging semantics, OAuth rotation, the request
// budget, data changes (rescore, delete, extend), determinism and injected faults. No Postgres, no
// Temporal, no mocks.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWhoopSandbox, type WhoopKind, type WhoopSandbox } from '../providers/whoop/sandbox/index.ts';
import {
  controlCall,
  get,
  type Json,
  keyOf,
  manualClock,
  PATHS,
  pageAll,
  type Rec,
  tokenRequest,
} from './fixtures/whoop-sandbox-http.ts';
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

describe('WHOOP sandbox: tokens', () => {
  const clock = manualClock();
  let sb: WhoopSandbox;
  beforeAll(async () => {
    sb = await startWhoopSandbox({ now: clock.now, historyDays: 30 });
  });
  afterAll(() => sb.close());

  it('rejects missing, unknown, expired and revoked access tokens with 401', async () => {
    const a = sb.control.issueTokens('alice');
    const b = sb.control.issueTokens('alice');
    expect((await get(sb, undefined, '/v2/cycle')).status).toBe(401);
    expect((await get(sb, 'nope', '/v2/cycle')).status).toBe(401);
    sb.control.expireAccessToken(a.accessToken);
    expect((await get(sb, a.accessToken, '/v2/cycle')).status).toBe(401);
    expect((await get(sb, b.accessToken, '/v2/cycle')).status).toBe(200);
    clock.advance(b.expiresIn * 1000);
    expect((await get(sb, b.accessToken, '/v2/cycle')).status).toBe(401);
    expect(sb.control.stats().unauthorized).toBe(4);
  });

  it('rotates refresh tokens: single use, old access token valid until expiry', async () => {
    const first = sb.control.issueTokens('bob');
    const refreshed = await tokenRequest(sb, {
      grant_type: 'refresh_token',
      refresh_token: first.refreshToken,
      scope: 'offline',
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json).toMatchObject({ token_type: 'bearer', expires_in: 3600, scope: 'offline' });
    expect(refreshed.json.refresh_token).not.toBe(first.refreshToken);
    expect((await get(sb, first.accessToken, '/v2/cycle')).status).toBe(200);
    expect((await get(sb, refreshed.json.access_token as string, '/v2/cycle')).status).toBe(200);
    const reuse = await tokenRequest(sb, { grant_type: 'refresh_token', refresh_token: first.refreshToken });
    expect(reuse).toEqual({ status: 400, json: expect.objectContaining({ error: 'invalid_grant' }) });
    const badClient = await tokenRequest(sb, {
      grant_type: 'refresh_token',
      refresh_token: refreshed.json.refresh_token as string,
      client_secret: 'wrong',
    });
    expect(badClient).toEqual({ status: 401, json: expect.objectContaining({ error: 'invalid_client' }) });
    // The failed client auth did not spend the token.
    const again = await tokenRequest(sb, {
      grant_type: 'refresh_token',
      refresh_token: refreshed.json.refresh_token as string,
    });
    expect(again.status).toBe(200);
    expect(sb.control.stats()).toMatchObject({ refreshes: 2, refreshReuse: 1 });

    sb.control.revokeUser('bob');
    expect((await get(sb, again.json.access_token as string, '/v2/cycle')).status).toBe(401);
    const revoked = await tokenRequest(sb, {
      grant_type: 'refresh_token',
      refresh_token: again.json.refresh_token as string,
    });
    expect(revoked.status).toBe(400);
    expect(revoked.json.error).toBe('invalid_grant');
  });

  it('fails the token endpoint transiently on tokenServerErrorRate without spending the refresh token', async () => {
    const pair = sb.control.issueTokens('erin');
    sb.control.setFaults({ tokenServerErrorRate: 1 });
    expect(
      (await tokenRequest(sb, { grant_type: 'refresh_token', refresh_token: pair.refreshToken })).status,
    ).toBe(503);
    sb.control.setFaults({});
    expect(
      (await tokenRequest(sb, { grant_type: 'refresh_token', refresh_token: pair.refreshToken })).status,
    ).toBe(200);
  });

  it('revokes through DELETE /v2/user/access and supports the authorization-code flow', async () => {
    const redirect = 'http://127.0.0.1:9/callback';
    const auth = await fetch(
      `${sb.authUrl}?response_type=code&client_id=sandbox-client&redirect_uri=${encodeURIComponent(redirect)}&state=abcdefgh&login_hint=carol`,
      { redirect: 'manual' },
    );
    expect(auth.status).toBe(302);
    const location = new URL(auth.headers.get('location') ?? '');
    expect(location.searchParams.get('state')).toBe('abcdefgh');
    const code = await tokenRequest(sb, {
      grant_type: 'authorization_code',
      code: location.searchParams.get('code') ?? '',
      redirect_uri: redirect,
    });
    expect(code.status).toBe(200);
    const access = code.json.access_token as string;
    expect((await get(sb, access, '/v2/user/profile/basic')).json.first_name).toBe('Carol');
    const revoke = await fetch(`${sb.url}/v2/user/access`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${access}` },
    });
    expect(revoke.status).toBe(204);
    expect((await get(sb, access, '/v2/cycle')).status).toBe(401);
  });
});

describe('WHOOP sandbox: request budget', () => {
  it('answers the 6th request of a 5/min window with 429, Retry-After and the rate-limit headers', async () => {
    let rateNow = 1_000_000;
    const sb = await startWhoopSandbox({
      now: () => new Date(NOW),
      historyDays: 10,
      requestsPerMinute: 5,
      rateClock: () => rateNow,
    });
    try {
      const { accessToken, refreshToken } = sb.control.issueTokens('alice');
      for (let i = 0; i < 5; i++) {
        const res = await get(sb, accessToken, '/v2/cycle');
        expect(res.status).toBe(200);
        expect(res.headers.get('x-ratelimit-limit')).toBe('5, 5;window=60, 10000;window=86400');
        expect(res.headers.get('x-ratelimit-remaining')).toBe(String(4 - i));
        rateNow += 1000;
      }
      const limited = await get(sb, accessToken, '/v2/recovery');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('55');
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(limited.headers.get('x-ratelimit-reset')).toBe('55');
      // The token endpoint and the control surface are outside the budget.
      expect(
        (await tokenRequest(sb, { grant_type: 'refresh_token', refresh_token: refreshToken })).status,
      ).toBe(200);
      expect(sb.control.records('alice', 'cycle').length).toBeGreaterThan(0);
      rateNow += 55_000;
      expect((await get(sb, accessToken, '/v2/cycle')).status).toBe(200);
      expect(sb.control.stats()).toMatchObject({ budget429: 1, injected429: 0, requests: 8 });
      expect(sb.control.stats().byEndpoint).toEqual({
        'GET /v2/cycle': 6,
        'GET /v2/recovery': 1,
        'POST /oauth/oauth2/token': 1,
      });
    } finally {
      await sb.close();
    }
  });

  it('enforces the daily budget too', async () => {
    const sb = await startWhoopSandbox({ now: () => new Date(NOW), historyDays: 10, requestsPerDay: 2 });
    try {
      const { accessToken } = sb.control.issueTokens('alice');
      await get(sb, accessToken, '/v2/cycle');
      await get(sb, accessToken, '/v2/cycle');
      const limited = await get(sb, accessToken, '/v2/cycle');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(86_000);
    } finally {
      await sb.close();
    }
  });
});

describe('WHOOP sandbox: data changes and determinism', () => {
  it('rescore, delete and extendToNow change what the API serves', async () => {
    const clock = manualClock();
    const sb = await startWhoopSandbox({
      now: clock.now,
      historyDays: 60,
      accessTokenTtlSeconds: 30 * 86_400,
    });
    try {
      const { accessToken } = sb.control.issueTokens('alice');
      const before = (await get(sb, accessToken, '/v2/activity/sleep?limit=3')).json.records as Rec[];
      expect(before.every((s) => s.score_state === 'PENDING_SCORE' && s.score === undefined)).toBe(true);
      clock.advance(60_000);
      expect(sb.control.rescore('alice').rescored).toBeGreaterThanOrEqual(9);
      const after = (await get(sb, accessToken, '/v2/activity/sleep?limit=3&end=2026-03-15T12:00:00Z')).json
        .records as Rec[];
      for (const [i, s] of after.entries()) {
        expect(s.score_state).toBe('SCORED');
        expect(spec.check('Sleep', s)).toBeUndefined();
        expect(Date.parse(s.updated_at)).toBeGreaterThan(Date.parse(before[i]?.updated_at ?? ''));
      }

      const deleted = sb.control.deleteRecords('alice', 'workout', 2, 30);
      expect(deleted).toHaveLength(2);
      const workouts = (await pageAll(sb, accessToken, 'workout', 'limit=25')).records;
      expect(workouts.some((w) => deleted.includes(String(w.id)))).toBe(false);
      expect((await get(sb, accessToken, `/v2/activity/workout/${deleted[0]}`)).status).toBe(404);

      const open = (sb.control.records('alice', 'cycle') as Rec[])[0] as Rec;
      clock.advance(2 * DAY);
      const added = sb.control.extendToNow('alice');
      expect(added.cycle).toBe(2);
      expect(added.sleep).toBeGreaterThanOrEqual(2);
      expect(added.recovery).toBeGreaterThanOrEqual(1);
      const closed = (await get(sb, accessToken, `/v2/cycle/${open.id}`)).json as Rec;
      expect(closed.end).toEqual(expect.any(String));
      expect(Date.parse(closed.updated_at)).toBeGreaterThan(Date.parse(open.updated_at));
      const newest = (await get(sb, accessToken, '/v2/cycle?limit=3')).json.records as Rec[];
      expect(newest[2]?.id).toBe(open.id);
      expect(sb.control.extendToNow('alice')).toEqual({ cycle: 0, sleep: 0, recovery: 0, workout: 0 });
    } finally {
      await sb.close();
    }
  });

  it('with autoExtend, serves new data as the clock moves without a control call', async () => {
    const clock = manualClock();
    const sb = await startWhoopSandbox({
      now: clock.now,
      historyDays: 10,
      autoExtend: true,
      accessTokenTtlSeconds: 86_400 * 9,
    });
    try {
      const { accessToken } = sb.control.issueTokens('alice');
      const [before] = (await get(sb, accessToken, '/v2/cycle?limit=1')).json.records as Rec[];
      clock.advance(2 * DAY);
      const [after] = (await get(sb, accessToken, '/v2/cycle?limit=1')).json.records as Rec[];
      expect(Date.parse(after?.start ?? '')).toBeGreaterThan(Date.parse(before?.start ?? ''));
    } finally {
      await sb.close();
    }
  });

  it('keeps a nextToken valid and stable while records are added', async () => {
    const clock = manualClock();
    const sb = await startWhoopSandbox({
      now: clock.now,
      historyDays: 90,
      accessTokenTtlSeconds: 30 * 86_400,
    });
    try {
      const { accessToken } = sb.control.issueTokens('alice');
      const all = sb.control.records('alice', 'sleep') as Rec[];
      const first = await get(sb, accessToken, '/v2/activity/sleep?limit=5');
      clock.advance(3 * DAY);
      sb.control.extendToNow('alice');
      const second = await get(
        sb,
        accessToken,
        `/v2/activity/sleep?limit=5&nextToken=${first.json.next_token}`,
      );
      expect(second.json.records).toEqual(all.slice(5, 10));
    } finally {
      await sb.close();
    }
  });

  it('serves identical data for the same seed and different data for another', async () => {
    const opts = { now: () => new Date(NOW), historyDays: 200 };
    const [a, b, c] = await Promise.all([
      startWhoopSandbox({ ...opts, seed: 's1' }),
      startWhoopSandbox({ ...opts, seed: 's1' }),
      startWhoopSandbox({ ...opts, seed: 's2' }),
    ]);
    try {
      const pages = await Promise.all(
        [a, b, c].map(async (sb) => {
          const token = sb.control.issueTokens('alice').accessToken;
          return Promise.all(KINDS.map(async (k) => (await get(sb, token, `${PATHS[k]}?limit=25`)).text));
        }),
      );
      expect(pages[0]).toEqual(pages[1]);
      expect(pages[0]?.[0]).not.toEqual(pages[2]?.[0]);
      expect(a.control.records('alice', 'sleep')).not.toEqual(a.control.records('bob', 'sleep'));
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});

describe('WHOOP sandbox: faults and the HTTP control surface', () => {
  let sb: WhoopSandbox;
  let token: string;
  beforeAll(async () => {
    sb = await startWhoopSandbox({ now: () => new Date(NOW), historyDays: 60, requestsPerMinute: 1e6 });
    token = sb.control.issueTokens('alice').accessToken;
  });
  afterAll(() => sb.close());

  it('injects 5xx, storm 429s, connection resets and truncated bodies, and counts them', async () => {
    sb.control.setFaults({ serverErrorRate: 1 });
    for (let i = 0; i < 12; i++)
      expect([500, 502, 503]).toContain((await get(sb, token, '/v2/cycle')).status);
    sb.control.setFaults({ rateLimitStormRate: 1 });
    const storm = await get(sb, token, '/v2/cycle');
    expect(storm.status).toBe(429);
    expect(Number(storm.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(storm.headers.get('x-ratelimit-remaining')).not.toBe('0');
    sb.control.setFaults({ connectionResetRate: 1 });
    await expect(
      fetch(`${sb.url}/v2/cycle`, { headers: { Authorization: `Bearer ${token}` } }),
    ).rejects.toThrow();
    sb.control.setFaults({ truncatedBodyRate: 1 });
    const cut = await get(sb, token, '/v2/cycle?limit=25');
    expect(cut.status).toBe(200);
    expect(() => JSON.parse(cut.text)).toThrow();
    sb.control.setFaults({ serverErrorRate: 0.5 });
    const mixed = new Set<number>();
    for (let i = 0; i < 30; i++) mixed.add((await get(sb, token, '/v2/cycle')).status);
    expect(mixed.has(200) && mixed.size > 1).toBe(true);
    sb.control.setFaults({});
    expect(sb.control.stats()).toMatchObject({ injected429: 1, budget429: 0 });
    expect(sb.control.stats().injected5xx).toBeGreaterThanOrEqual(13);
  });

  it('breaks the same records on every request when malformedRecordRate is set', async () => {
    sb.control.setFaults({ malformedRecordRate: 0.3 });
    const first = (await get(sb, token, '/v2/activity/sleep?limit=25')).json.records as Rec[];
    const again = (await get(sb, token, '/v2/activity/sleep?limit=25')).json.records as Rec[];
    sb.control.setFaults({});
    expect(again).toEqual(first);
    const clean = sb.control.records('alice', 'sleep').slice(0, 25);
    const broken = first.filter((r) => spec.check('Sleep', r) !== undefined);
    expect(broken.length).toBeGreaterThan(0);
    expect(broken.length).toBeLessThan(25);
    first.forEach((r, i) => {
      if (spec.check('Sleep', r) === undefined) expect(r).toEqual(clean[i]);
    });
  });

  it('adds latency, and hangs on timeoutRate until the client gives up', async () => {
    sb.control.setFaults({ latencyMs: 150 });
    const started = performance.now();
    expect((await get(sb, token, '/v2/cycle')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    sb.control.setFaults({ timeoutRate: 1 });
    const hung = fetch(`${sb.url}/v2/cycle`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(300),
    });
    await expect(hung).rejects.toThrow();
    sb.control.setFaults({});
  });

  it('closes promptly with a hung request in flight', async () => {
    const own = await startWhoopSandbox({
      now: () => new Date(NOW),
      historyDays: 5,
      faults: { timeoutRate: 1 },
    });
    const access = own.control.issueTokens('alice').accessToken;
    const hung = fetch(`${own.url}/v2/cycle`, { headers: { Authorization: `Bearer ${access}` } }).catch(
      (e: unknown) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await own.close();
    expect(await hung).toBeInstanceOf(Error);
  });

  it('is driven over HTTP through /_sandbox/, outside the budget and the stats', async () => {
    sb.control.resetStats();
    const issued = await controlCall(sb, 'POST', '/users/dave/tokens');
    expect(issued.json).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: 3600,
    });
    const access = issued.json.accessToken as string;
    expect((await get(sb, access, '/v2/user/profile/basic')).json.first_name).toBe('Dave');
    expect((await controlCall(sb, 'POST', '/faults', { serverErrorRate: 1 })).status).toBe(200);
    expect((await get(sb, access, '/v2/cycle')).status).toBeGreaterThanOrEqual(500);
    expect((await controlCall(sb, 'POST', '/faults', { serverErrorRate: 2 })).status).toBe(400);
    await controlCall(sb, 'POST', '/faults', {});
    expect((await controlCall(sb, 'POST', '/users/dave/rescore')).json.rescored).toBeGreaterThan(0);
    const deleted = await controlCall(sb, 'POST', '/users/dave/delete', { kind: 'sleep', count: 1 });
    expect(deleted.json.ids).toHaveLength(1);
    const listed = await controlCall(sb, 'GET', '/users/dave/records/sleep?start=2026-02-01T00:00:00Z');
    expect(listed.json.records).toEqual(
      sb.control.records('dave', 'sleep', new Date('2026-02-01T00:00:00Z')),
    );
    expect((await controlCall(sb, 'GET', '/users/dave/records/steps')).status).toBe(400);
    const stats = (await controlCall(sb, 'GET', '/stats')).json;
    expect(stats).toMatchObject({ requests: 2, injected5xx: 1 });
  });
});

describe('WHOOP sandbox: command line', () => {
  it('prints URLs and token pairs, serves, and stops on SIGTERM', async () => {
    const cli = fileURLToPath(new URL('../providers/whoop/sandbox/cli.ts', import.meta.url));
    const args = [
      '--import',
      'tsx',
      cli,
      '--users',
      'ann,ben',
      '--history-days',
      '20',
      '--rpm',
      '50',
      '--json',
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const info = JSON.parse(line) as { url: string; users: Record<string, { accessToken: string }> };
      expect(Object.keys(info.users)).toEqual(['ann', 'ben']);
      const res = await fetch(`${info.url}/v2/cycle`, {
        headers: { Authorization: `Bearer ${info.users.ben?.accessToken}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toMatch(/^50, 50;window=60/);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect((await exited)[0]).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
