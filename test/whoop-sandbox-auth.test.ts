import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWhoopSandbox, type WhoopKind, type WhoopSandbox } from '../providers/whoop/sandbox/index.ts';
import { get, manualClock, tokenRequest } from './fixtures/whoop-sandbox-http.ts';
import { loadWhoopSpec } from './fixtures/whoop-spec.ts';

const NOW = Date.parse('2026-03-15T12:00:00.000Z');
const _DAY = 86_400_000;
const _KINDS: WhoopKind[] = ['cycle', 'sleep', 'recovery', 'workout'];
const _spec = loadWhoopSpec();

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

  const redirect = 'http://127.0.0.1:9/callback';
  const verifier = 'v'.repeat(20) + randomBytes(24).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');

  /** Asks the authorize endpoint for a code; returns the response (302 with the code, or an error). */
  async function authorize(extra: Record<string, string> = {}) {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'sandbox-client',
      redirect_uri: redirect,
      state: 'abcdefgh',
      login_hint: 'carol',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...extra,
    });
    for (const [key, value] of Object.entries(extra)) if (value === '') query.delete(key);
    return fetch(`${sb.authUrl}?${query}`, { redirect: 'manual' });
  }
  const codeOf = (auth: Response) =>
    new URL(auth.headers.get('location') ?? '').searchParams.get('code') ?? '';

  it('redeems a code only with its redirect_uri and the PKCE verifier of its challenge', async () => {
    const refused = async (form: Record<string, string>) => {
      const response = await tokenRequest(sb, { grant_type: 'authorization_code', ...form });
      return [response.status, response.json.error, response.json.error_description];
    };
    expect(await refused({ code: codeOf(await authorize()), redirect_uri: redirect })).toEqual([
      400,
      'invalid_grant',
      'code_verifier is required (PKCE)',
    ]);
    expect(
      await refused({
        code: codeOf(await authorize()),
        redirect_uri: redirect,
        code_verifier: `${verifier}x`,
      }),
    ).toEqual([400, 'invalid_grant', 'code_verifier does not match']);
    expect(
      await refused({
        code: codeOf(await authorize()),
        redirect_uri: 'http://127.0.0.1:9/other',
        code_verifier: verifier,
      }),
    ).toEqual([400, 'invalid_grant', 'redirect_uri does not match the authorization request']);
    expect(await refused({ code: codeOf(await authorize()), code_verifier: verifier })).toEqual([
      400,
      'invalid_grant',
      'redirect_uri does not match the authorization request',
    ]);
    // A code is spent by a failed attempt too.
    const code = codeOf(await authorize());
    await refused({ code, redirect_uri: redirect });
    expect(await refused({ code, redirect_uri: redirect, code_verifier: verifier })).toEqual([
      400,
      'invalid_grant',
      'authorization code is not valid',
    ]);
    // No PKCE at all, or the plain method: refused at the authorize endpoint.
    const withoutPkce: Record<string, string>[] = [
      { code_challenge: '', code_challenge_method: '' },
      { code_challenge_method: 'plain' },
    ];
    for (const extra of withoutPkce) {
      const auth = await authorize(extra);
      expect(auth.status).toBe(400);
      expect(((await auth.json()) as { error: string }).error).toBe('invalid_request');
    }
  });

  it('revokes through DELETE /v2/user/access and supports the authorization-code flow', async () => {
    const auth = await authorize();
    expect(auth.status).toBe(302);
    const location = new URL(auth.headers.get('location') ?? '');
    expect(location.searchParams.get('state')).toBe('abcdefgh');
    const code = await tokenRequest(sb, {
      grant_type: 'authorization_code',
      code: location.searchParams.get('code') ?? '',
      redirect_uri: redirect,
      code_verifier: verifier,
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
