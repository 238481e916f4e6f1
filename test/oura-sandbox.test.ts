// The Oura sandbox over real HTTP: every response validates against the spec's own schemas, the data
// is deterministic and realistic (stages add up, naps, days without the ring), paging is stable, the
// date-only end_date quirk is reproduced, and OAuth (PKCE, single-use refresh), both rate-limit
// layers, 403 and the control routes behave as documented.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapOuraDocuments } from '../providers/oura/mapping.ts';
import { type OuraSandbox, startOuraSandbox } from '../providers/oura/sandbox/index.ts';
import { pkceS256 } from '../providers/sandbox-kit/tokens.ts';
import { loadOuraSpec, RESPONSE_SCHEMA } from './fixtures/oura-spec.ts';

const NOW = new Date('2025-06-15T12:00:00Z');
const spec = loadOuraSpec();
let sandbox: OuraSandbox;
let token: string;

beforeAll(async () => {
  sandbox = await startOuraSandbox({ now: () => NOW, historyDays: 400, pageSize: 20 });
  token = sandbox.control.issueTokens('alice').accessToken;
});
afterAll(() => sandbox.close());

async function get(path: string, params: Record<string, string> = {}, accessToken = token) {
  const url = new URL(sandbox.url + path);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const response = await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** Every page of a collection for a query. */
async function all(kind: string, params: Record<string, string>) {
  const documents: Record<string, unknown>[] = [];
  let next: string | undefined;
  let pages = 0;
  do {
    const { status, body } = await get(
      `/v2/usercollection/${kind}`,
      next ? { ...params, next_token: next } : params,
    );
    expect(status).toBe(200);
    expect(spec.check(RESPONSE_SCHEMA[kind] ?? '', body)).toBeUndefined();
    documents.push(...(body.data as Record<string, unknown>[]));
    next = (body.next_token as string | null) ?? undefined;
    pages++;
  } while (next);
  return { documents, pages };
}

describe('data', () => {
  it('serves every collection as the spec describes it, and our schemas accept all of it', async () => {
    for (const kind of Object.keys(RESPONSE_SCHEMA)) {
      if (kind === 'personal_info') {
        const { body } = await get('/v2/usercollection/personal_info');
        expect(spec.check('PersonalInfoResponse', body)).toBeUndefined();
        expect(mapOuraDocuments('personal_info', [body]).quarantined).toEqual([]);
        continue;
      }
      const params: Record<string, string> =
        kind === 'heartrate'
          ? { start_datetime: '2025-03-01T00:00:00Z', end_datetime: '2025-03-04T00:00:00Z' }
          : { start_date: '2025-01-01', end_date: '2025-04-01' };
      const { documents } = await all(kind, params);
      expect(documents.length, kind).toBeGreaterThan(kind === 'session' ? 3 : 30);
      const mapped = mapOuraDocuments(kind as 'sleep', documents);
      expect(mapped.quarantined, kind).toEqual([]);
    }
  });

  it('sleep periods: stages add up to the time in bed, the hypnogram agrees, naps and rests occur', async () => {
    const { documents } = await all('sleep', { start_date: '2024-06-01', end_date: '2025-06-01' });
    const types = new Set(documents.map((d) => d.type));
    expect(types).toEqual(new Set(['long_sleep', 'sleep', 'rest']));
    for (const s of documents) {
      const stages = ['deep_sleep_duration', 'light_sleep_duration', 'rem_sleep_duration', 'awake_time'];
      expect(stages.reduce((sum, k) => sum + Number(s[k]), 0)).toBe(s.time_in_bed);
      const phases = String(s.sleep_phase_5_min);
      expect(phases.length * 300).toBe(s.time_in_bed);
      expect([...phases].filter((c) => c === '1').length * 300).toBe(s.deep_sleep_duration);
      expect(Date.parse(String(s.bedtime_end)) - Date.parse(String(s.bedtime_start))).toBe(
        Number(s.time_in_bed) * 1000,
      );
    }
  });

  it('days without the ring have an activity document without a score and nothing from the night', async () => {
    const activity = (await all('daily_activity', { start_date: '2024-06-01', end_date: '2025-06-01' }))
      .documents;
    const sleepDays = new Set(
      (await all('daily_sleep', { start_date: '2024-06-01', end_date: '2025-06-01' })).documents.map(
        (d) => d.day,
      ),
    );
    const unworn = activity.filter((a) => a.score === null);
    expect(activity).toHaveLength(365);
    expect(unworn.length).toBeGreaterThan(5);
    for (const day of unworn) {
      expect(sleepDays.has(day.day)).toBe(false);
      expect(day.non_wear_time).toBe(86_400);
    }
    expect(sleepDays.size).toBe(365 - unworn.length);
  });

  it('is deterministic: a second sandbox with the same seed serves the same documents', async () => {
    const other = await startOuraSandbox({ now: () => NOW, historyDays: 400 });
    try {
      expect(other.control.documents('alice', 'sleep', '2025-01-01', '2025-01-31')).toEqual(
        sandbox.control.documents('alice', 'sleep', '2025-01-01', '2025-01-31'),
      );
      expect(other.control.documents('bob', 'sleep', '2025-01-01', '2025-01-31')).not.toEqual(
        sandbox.control.documents('alice', 'sleep', '2025-01-01', '2025-01-31'),
      );
    } finally {
      await other.close();
    }
  });
});

describe('queries', () => {
  it('a date-only end_date excludes that day; a date-time end_date includes it', async () => {
    const dateOnly = await all('daily_sleep', { start_date: '2025-03-01', end_date: '2025-03-10' });
    expect(dateOnly.documents.map((d) => d.day).at(-1)).toBe('2025-03-09');
    const dateTime = await all('daily_sleep', { start_date: '2025-03-01', end_date: '2025-03-10T23:59:59' });
    expect(dateTime.documents.map((d) => d.day).at(-1)).toBe('2025-03-10');
  });

  it('pages with next_token without losing or repeating a document', async () => {
    const paged = await all('sleep', { start_date: '2025-01-01', end_date: '2025-03-01' });
    expect(paged.pages).toBeGreaterThan(2);
    const ids = paged.documents.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(paged.documents).toEqual(sandbox.control.documents('alice', 'sleep', '2025-01-01', '2025-02-28'));
  });

  it('heartrate: samples every 5 minutes, paged, and spans over 30 days refused', async () => {
    const { documents } = await all('heartrate', {
      start_datetime: '2025-03-01T00:00:00Z',
      end_datetime: '2025-03-05T00:00:00Z',
    });
    expect(documents.length).toBeGreaterThan(1000);
    expect(documents.every((d) => Number(d.timestamp_unix) % 300_000 === 0)).toBe(true);
    const tooLong = await get('/v2/usercollection/heartrate', {
      start_datetime: '2025-03-01T00:00:00Z',
      end_datetime: '2025-04-01T00:00:00Z',
    });
    expect(tooLong.status).toBe(400);
  });

  it('bad parameters are a 400 with a reason', async () => {
    const bad = await get('/v2/usercollection/sleep', { start_date: 'March' });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/start_date/);
  });
});

describe('after the fact', () => {
  it('mutate changes a document in place (same id, new content); delete removes it', async () => {
    const before = sandbox.control.documents('carol', 'daily_sleep', '2025-06-10', '2025-06-10');
    expect(before).toHaveLength(1);
    const ids = sandbox.control.mutate('carol', 'daily_sleep', '2025-06-10');
    const after = sandbox.control.documents('carol', 'daily_sleep', '2025-06-10', '2025-06-10');
    expect(ids).toEqual([before[0]?.id]);
    expect(after[0]?.id).toBe(before[0]?.id);
    expect(after[0]?.score).not.toBe(before[0]?.score);
    expect(sandbox.control.deleteDocuments('carol', 'daily_sleep', '2025-06-10')).toEqual(ids);
    expect(sandbox.control.documents('carol', 'daily_sleep', '2025-06-10', '2025-06-10')).toEqual([]);
  });
});

describe('OAuth', () => {
  it('authorize with PKCE, then the code needs the matching verifier', async () => {
    const verifier = 'a-verifier-that-is-long-enough-0123456789';
    const authorize = new URL(sandbox.authorizeUrl);
    authorize.search = new URLSearchParams({
      client_id: 'sandbox-client',
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:1/callback',
      state: 'state-1234',
      login_hint: 'dave',
      code_challenge: pkceS256(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const redirect = await fetch(authorize, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const code = new URL(redirect.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const exchange = (codeVerifier: string) =>
      fetch(sandbox.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: 'http://127.0.0.1:1/callback',
          client_id: 'sandbox-client',
          client_secret: 'sandbox-secret',
          code_verifier: codeVerifier,
        }),
      });
    const wrong = await exchange('not-the-verifier');
    expect(wrong.status).toBe(400);
    // A code is single-use even when the exchange failed: a second try with the right verifier fails too.
    expect((await exchange(verifier)).status).toBe(400);
  });

  it('refresh tokens are single-use and access tokens expire', async () => {
    const pair = sandbox.control.issueTokens('erin');
    const refresh = (refreshToken: string) =>
      fetch(sandbox.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: 'sandbox-client',
          client_secret: 'sandbox-secret',
        }),
      });
    const first = await refresh(pair.refreshToken);
    expect(first.status).toBe(200);
    const rotated = (await first.json()) as { access_token: string; refresh_token: string };
    expect(rotated.refresh_token).not.toBe(pair.refreshToken);
    const reuse = await refresh(pair.refreshToken);
    expect(reuse.status).toBe(400);
    expect(((await reuse.json()) as { error: string }).error).toBe('invalid_grant');
    sandbox.control.expireAccessToken(rotated.access_token);
    expect((await get('/v2/usercollection/personal_info', {}, rotated.access_token)).status).toBe(401);
  });

  it('403 while the subscription is expired, with a reason', async () => {
    const own = sandbox.control.issueTokens('frank').accessToken;
    sandbox.control.setSubscription('frank', false);
    const forbidden = await get('/v2/usercollection/sleep', {}, own);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toMatch(/subscription/i);
    sandbox.control.setSubscription('frank', true);
    expect((await get('/v2/usercollection/sleep', {}, own)).status).toBe(200);
  });
});

describe('rate limits', () => {
  it('the token layer and the app layer each answer 429 with their tier, Retry-After and an epoch reset', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const limited = await startOuraSandbox({
      now: () => NOW,
      rateClock: () => clock,
      tokenLimit: { limit: 2, windowSeconds: 60 },
      appLimit: { limit: 3, windowSeconds: 300 },
    });
    try {
      const a = limited.control.issueTokens('a').accessToken;
      const b = limited.control.issueTokens('b').accessToken;
      const call = async (accessToken: string) => {
        const response = await fetch(`${limited.url}/v2/usercollection/personal_info`, {
          headers: { authorization: `Bearer ${accessToken}` },
        });
        await response.arrayBuffer();
        return response;
      };
      const ok = await call(a);
      expect(ok.status).toBe(200);
      expect(Number(ok.headers.get('x-ratelimit-reset'))).toBe(clock / 1000 + 60);
      expect((await call(a)).status).toBe(200);
      const tokenLimited = await call(a);
      expect(tokenLimited.status).toBe(429);
      expect(tokenLimited.headers.get('x-ratelimit-tier')).toBe('token');
      expect(tokenLimited.headers.get('retry-after')).toBe('60');
      expect(Number(tokenLimited.headers.get('x-ratelimit-reset'))).toBe(clock / 1000 + 60);
      expect((await call(b)).status).toBe(200);
      const appLimited = await call(b);
      expect(appLimited.status).toBe(429);
      expect(appLimited.headers.get('x-ratelimit-tier')).toBe('application');
      expect(appLimited.headers.get('x-ratelimit-window')).toBe('300');
      clock += 300_000;
      expect((await call(a)).status).toBe(200);
      expect(limited.control.stats()).toMatchObject({ token429: 1, app429: 1 });
    } finally {
      await limited.close();
    }
  });
});
