// The WHOOP sandbox over real HTTP: spec conformance, paging semantics, OAuth rotation, the request
// budget, data changes (rescore, delete, extend), determinism and injected faults. No Postgres, no
// Temporal, no mocks.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startWhoopSandbox, type WhoopKind, type WhoopSandbox } from '../providers/whoop/sandbox/index.ts';
import { HANG_LIMIT_MS } from '../providers/whoop/sandbox/server.ts';
import { controlCall, get, manualClock, PATHS, pageAll, type Rec } from './fixtures/whoop-sandbox-http.ts';
import { loadWhoopSpec } from './fixtures/whoop-spec.ts';

const NOW = Date.parse('2026-03-15T12:00:00.000Z');
const DAY = 86_400_000;
const KINDS: WhoopKind[] = ['cycle', 'sleep', 'recovery', 'workout'];
const spec = loadWhoopSpec();

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
    // In flight once the sandbox has counted it (and, by the fault, hung it): no guessed delay.
    await vi.waitFor(() => expect(own.control.stats().requests).toBe(1), { interval: 5 });
    // Left alone, the sandbox holds a hung request for HANG_LIMIT_MS; "promptly" is a small part of
    // that, so close() must win this race by far on any machine.
    const giveUp = new AbortController();
    const verdict = await Promise.race([
      own.close().then(() => 'closed' as const),
      sleep(HANG_LIMIT_MS / 10, 'still open' as const, { signal: giveUp.signal }),
    ]);
    giveUp.abort();
    expect(verdict).toBe('closed');
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
