// Hosted connect over real HTTP against the WHOOP sandbox's authorize and token endpoints: start
// (authenticated) → 302 with PKCE and state → provider → callback stores encrypted tokens, the
// provider's user id, the schedule, and starts the initial backfill. State is single-use and expires.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillWorkflowId } from '../cli/operations.ts';
import { createTokenCipher } from '../store/crypto.ts';
import { createLogin } from '../store/oauth-states.ts';
import { scheduleId } from '../worker/schedules.ts';
import { type ServeStack, startServeStack } from './support/serve-stack.ts';

let stack: ServeStack;
let kimToken: string;
let otherToken: string;

beforeAll(async () => {
  stack = await startServeStack();
  kimToken = await stack.tokenFor('kim');
  otherToken = await stack.tokenFor('lou');
});
afterAll(() => stack?.close());

const basic = (user: string, token: string) => `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
const start = (user: string, authorization?: string) =>
  fetch(`${stack.url}/oauth/whoop/start?user=${user}`, {
    redirect: 'manual',
    headers: authorization ? { authorization } : {},
  });
const stateRows = async () => Number((await stack.db.sql`select count(*)::int as n from oauth_states`)[0]?.n);

describe('starting a login', () => {
  it('needs the user and one of their ingest tokens (Basic, so a browser can ask): 401 otherwise, nothing stored', async () => {
    const anonymous = await start('kim');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
    expect((await start('kim', basic('kim', otherToken))).status).toBe(401);
    expect((await start('kim', basic('lou', otherToken))).status).toBe(401);
    expect((await start('kim', `Bearer ${otherToken}`)).status).toBe(401);
    expect(
      (
        await fetch(`${stack.url}/oauth/nowhere/start?user=kim`, {
          headers: { authorization: basic('kim', kimToken) },
        })
      ).status,
    ).toBe(404);
    expect(await stateRows()).toBe(0);
  });
});

describe('the whole login', () => {
  let location: URL;

  it('302s to the provider with PKCE (S256) and a state stored only as its hash', async () => {
    const response = await start('kim', basic('kim', kimToken));
    expect(response.status).toBe(302);
    location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(stack.sandbox.authUrl);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'sandbox-client',
      redirect_uri: `${stack.config.WEARHOUSE_PUBLIC_URL}/oauth/whoop/callback`,
      code_challenge_method: 'S256',
    });
    expect(location.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const state = location.searchParams.get('state') ?? '';
    expect(state.length).toBeGreaterThanOrEqual(32);
    const rows = await stack.db.sql<{ state_hash: string; user_id: string; code_verifier_enc: string }[]>`
      select state_hash, user_id, code_verifier_enc from oauth_states`;
    expect(rows).toHaveLength(1);
    expect(rows[0]?.user_id).toBe('kim');
    expect(JSON.stringify(rows)).not.toContain(state);
  });

  it('the callback stores the tokens encrypted, the WHOOP user id, the schedule, and backfills', async () => {
    location.searchParams.set('login_hint', 'kim');
    const approved = await fetch(location, { redirect: 'manual' });
    expect(approved.status).toBe(302);
    const callback = approved.headers.get('location') ?? '';
    expect(callback.startsWith(`${stack.config.WEARHOUSE_PUBLIC_URL}/oauth/whoop/callback?`)).toBe(true);
    const done = await fetch(callback);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('connected');

    const [connection] = await stack.db.sql<
      { status: string; access_token_enc: string; external_user_id: string }[]
    >`
      select status, access_token_enc, external_user_id from connections where provider = 'whoop' and user_id = 'kim'`;
    expect(connection?.status).toBe('active');
    expect(connection?.external_user_id).toBe(String(stack.sandbox.control.whoopUserId('kim')));
    const cipher = createTokenCipher(stack.temporal.tokenEncryptionKey);
    expect(cipher.decrypt(connection?.access_token_enc ?? '', 'whoop:kim:access')).toMatch(/\S{16,}/);
    const schedule = await stack.temporal.client.schedule.getHandle(scheduleId('whoop', 'kim')).describe();
    expect(schedule.scheduleId).toBe(scheduleId('whoop', 'kim'));
    await stack.temporal.client.schedule.getHandle(scheduleId('whoop', 'kim')).pause('test');
    await stack.temporal.client.workflow.getHandle(backfillWorkflowId('whoop', 'kim')).result();
    const [records] = await stack.db
      .sql`select count(*)::int as n from records where provider = 'whoop' and user_id = 'kim'`;
    expect(records?.n).toBeGreaterThan(0);

    // The same callback again: the state was used.
    const replayed = await fetch(callback);
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain('unknown, used or expired');
  });

  it('an expired state, a forged one and a refused login are 400 and connect nothing', async () => {
    const cipher = createTokenCipher(stack.temporal.tokenEncryptionKey);
    const expired = await createLogin(stack.db.sql, cipher, {
      provider: 'whoop',
      userId: 'lou',
      redirectUri: `${stack.url}/oauth/whoop/callback`,
      ttlSeconds: 0,
    });
    const callback = (query: string) => fetch(`${stack.url}/oauth/whoop/callback?${query}`);
    expect((await callback(`code=abc&state=${expired.state}`)).status).toBe(400);
    expect((await callback('code=abc&state=forged-state-value')).status).toBe(400);
    const live = await createLogin(stack.db.sql, cipher, {
      provider: 'whoop',
      userId: 'lou',
      redirectUri: `${stack.url}/oauth/whoop/callback`,
      ttlSeconds: 600,
    });
    expect((await callback(`error=access_denied&state=${live.state}`)).status).toBe(400);
    // The refusal used the state up, too.
    expect((await callback(`code=abc&state=${live.state}`)).status).toBe(400);
    const rows = await stack.db.sql`select 1 from connections where user_id = 'lou'`;
    expect(rows).toHaveLength(0);
  });

  it('logs neither the state, the code, nor any token', () => {
    const joined = stack.serveLog.join('\n');
    expect(joined).toContain('hosted connect done');
    expect(joined).not.toContain(kimToken);
    expect(joined).not.toMatch(/[?&](code|state)=/);
    expect(joined).not.toContain(location.searchParams.get('state') ?? 'no-state');
  });
});
