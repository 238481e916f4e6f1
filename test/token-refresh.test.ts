// Token refresh under contention, over real HTTP against the WHOOP sandbox and on real Postgres: two
// token managers (two workers) with a pool of 3 connections each, 6 users x 4 callers whose tokens
// lapse at once, the budget paused while the refreshes wait for it. The refresh used to hold a row
// lock through the provider call (and its budget and ledger connections): with a pool of 3 this
// stalled until the 60 s lock timeout. Each case counts refreshes at the sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTokenManager,
  type RefreshOutcome,
  refreshAheadMs,
  type TokenManager,
} from '../activities/tokens.ts';
import { ProviderError } from '../providers/errors.ts';
import { createSharedBudget, type RateBudget } from '../providers/rate-budget.ts';
import type { RequestStats, TokenRefresher } from '../providers/types.ts';
import { createWhoopRuntime, type WhoopRuntime } from '../providers/whoop/index.ts';
import { startWhoopSandbox } from '../providers/whoop/sandbox/index.ts';
import type { WhoopSandbox } from '../providers/whoop/sandbox/types.ts';
import { saveTokens } from '../store/connections.ts';
import { createTokenCipher, generateKeySpec } from '../store/crypto.ts';
import { connect, type Sql } from '../store/db.ts';
import { createTestDatabase, type TestDatabase } from './support/db.ts';

const USERS = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
const CALLERS_PER_USER = 4;
const cipher = createTokenCipher(generateKeySpec('t1'));

interface Worker {
  sql: Sql;
  budget: RateBudget;
  /** What the token manager refreshes through. */
  provider: TokenRefresher;
  runtime: WhoopRuntime;
  tokens: TokenManager;
  outcomes: RefreshOutcome[];
  reauth: string[];
}

let sandbox: WhoopSandbox;
let db: TestDatabase;
const workers: Worker[] = [];

/** A worker's view: its own pool of 3, its own budget client on it, its own token manager. */
function startWorker(against: WhoopSandbox = sandbox): Worker {
  const sql = connect(db.url, { max: 3, applicationName: 'token-test' });
  const budget = createSharedBudget(sql, 'whoop', 6000);
  const runtime = createWhoopRuntime({
    apiUrl: against.url,
    authorizeUrl: `${against.url}/oauth/oauth2/auth`,
    tokenUrl: against.tokenUrl,
    clientId: 'sandbox-client',
    clientSecret: 'sandbox-secret',
    budget,
    timeoutMs: 2_000,
  });
  const outcomes: RefreshOutcome[] = [];
  const reauth: string[] = [];
  const tokens = createTokenManager({
    sql,
    cipher,
    onRefresh: ({ outcome }) => outcomes.push(outcome),
    onReauthRequired: async (_provider, _userId, reason) => {
      reauth.push(reason);
    },
  });
  const provider: TokenRefresher = { name: 'whoop', refreshTokens: runtime.oauth.refreshTokens };
  const worker = { sql, budget, provider, runtime, tokens, outcomes, reauth };
  workers.push(worker);
  return worker;
}

const stats = (): RequestStats => ({ apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 });

/** Stores a fresh sandbox pair for each user as already lapsed: every first call must refresh. */
async function connectLapsed(users: string[]) {
  for (const userId of users) {
    const pair = sandbox.control.issueTokens(userId);
    await saveTokens(db.sql, cipher, 'whoop', userId, { ...pair, expiresAt: new Date() });
  }
}

/** Each caller takes a token and fetches a page with it, as a sync window does. */
async function callers(worker: Worker, users: string[], tokenStats: RequestStats[] = []) {
  return Promise.all(
    users.flatMap((userId) =>
      Array.from({ length: CALLERS_PER_USER }, async () => {
        const counted = stats();
        tokenStats.push(counted);
        const token = await worker.tokens.accessToken(worker.provider, userId, counted);
        const page = await worker.runtime.fetchPage(
          { type: 'oauth', accessToken: token.value },
          { kind: 'cycle', start: new Date(Date.now() - 5 * 86_400_000), end: new Date() },
          stats(),
        );
        return page.documents.length;
      }),
    ),
  );
}

async function versions(users: string[]): Promise<Record<string, number>> {
  const rows = await db.sql<{ user_id: string; token_version: number }[]>`
    select user_id, token_version from connections where provider = 'whoop' and user_id in ${db.sql(users)}`;
  return Object.fromEntries(rows.map((r) => [r.user_id, r.token_version]));
}

beforeAll(async () => {
  sandbox = await startWhoopSandbox({ requestsPerMinute: 6000, historyDays: 30 });
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const worker of workers) await worker.sql.end();
  await db?.close();
  await sandbox?.close();
});

describe('token refresh under contention', () => {
  it('pool of 3, 6 users x 4 callers whose tokens lapse at once: one refresh per user, no stall', async () => {
    const worker = startWorker();
    await connectLapsed(USERS);
    const before = await versions(USERS);
    sandbox.control.resetStats();
    const pages = await callers(worker, USERS);
    expect(pages).toHaveLength(USERS.length * CALLERS_PER_USER);
    for (const records of pages) expect(records).toBeGreaterThan(0);
    const after = await versions(USERS);
    for (const userId of USERS) expect(after[userId]).toBe((before[userId] ?? 0) + 1);
    const counted = sandbox.control.stats();
    expect(counted.refreshes).toBe(USERS.length);
    expect(counted.refreshReuse).toBe(0);
    expect(counted.unauthorized).toBe(0);
    // Every caller needed a refresh: one per user made it, the other three shared it.
    expect(worker.outcomes.filter((o) => o === 'refreshed')).toHaveLength(USERS.length);
    expect(worker.outcomes.filter((o) => o === 'reused')).toHaveLength(USERS.length * (CALLERS_PER_USER - 1));
  }, 30_000);

  it('two workers, pools of 3, the budget paused during the refresh: one refresh per user in all', async () => {
    const [a, b] = [startWorker(), startWorker()];
    const users = USERS.map((u) => `${u}-two`);
    await connectLapsed(users);
    const before = await versions(users);
    sandbox.control.resetStats();
    // A 429 just seen: every request (the refreshes first) waits 1.5 s for the budget, shared by both.
    a.budget.penalize(1_500);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const tokenStats: RequestStats[] = [];
    const [pagesA, pagesB] = await Promise.all([
      callers(a, users, tokenStats),
      callers(b, users, tokenStats),
    ]);
    expect([...pagesA, ...pagesB]).toHaveLength(2 * users.length * CALLERS_PER_USER);
    const after = await versions(users);
    for (const userId of users) expect(after[userId]).toBe((before[userId] ?? 0) + 1);
    const counted = sandbox.control.stats();
    expect(counted.refreshes).toBe(users.length);
    expect(counted.refreshReuse).toBe(0);
    expect(counted.unauthorized).toBe(0);
    const outcomes = [...a.outcomes, ...b.outcomes];
    expect(outcomes.filter((o) => o === 'refreshed')).toHaveLength(users.length);
    expect(outcomes.filter((o) => o === 'reused')).toHaveLength(users.length * (2 * CALLERS_PER_USER - 1));
    expect(outcomes).not.toContain('failed');
    // The refresh calls themselves (counted on the token callers' stats) waited out the pause.
    expect(tokenStats.reduce((sum, s) => sum + s.apiCalls, 0)).toBe(users.length);
    expect(Math.max(...tokenStats.map((s) => s.throttleWaitMs))).toBeGreaterThanOrEqual(1_000);
  }, 30_000);

  it('a transient failure of the token endpoint is retried, never taken for a revocation', async () => {
    const worker = startWorker();
    await connectLapsed(['flaky']);
    sandbox.control.setFaults({ tokenServerErrorRate: 1 });
    const error = await worker.tokens.accessToken(worker.provider, 'flaky', stats()).catch((e: unknown) => e);
    sandbox.control.setFaults({});
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).errorClass).toBe('transient');
    const token = await worker.tokens.accessToken(worker.provider, 'flaky', stats());
    expect(token.value).toBeTruthy();
    const [row] = await db.sql<{ status: string; refresh_lease_owner: string | null }[]>`
      select status, refresh_lease_owner from connections where user_id = 'flaky'`;
    expect(row).toEqual({ status: 'active', refresh_lease_owner: null });
    expect(worker.outcomes).toEqual(['failed', 'refreshed']);
    expect(worker.reauth).toEqual([]);
  });

  it('a lost rotation (rotated, answer lost) is detected and reported with its own reason', async () => {
    const worker = startWorker();
    await connectLapsed(['lost']);
    sandbox.control.resetStats();
    sandbox.control.setFaults({ refreshResponseLostRate: 1 });
    const first = await worker.tokens.accessToken(worker.provider, 'lost', stats()).catch((e: unknown) => e);
    sandbox.control.setFaults({});
    expect((first as ProviderError).errorClass).toBe('transient');
    expect(sandbox.control.stats().refreshResponsesLost).toBe(1);
    // The only refresh token we hold is spent; sending it once more is how we learn so.
    const second = await worker.tokens.accessToken(worker.provider, 'lost', stats()).catch((e: unknown) => e);
    expect((second as ProviderError).errorClass).toBe('reauth_required');
    expect((second as Error).message).toMatch(/lost rotation.*wearhouse connect whoop --user lost/);
    const [row] = await db.sql<{ status: string; status_reason: string }[]>`
      select status, status_reason from connections where user_id = 'lost'`;
    expect(row?.status).toBe('reauth_required');
    expect(row?.status_reason).toMatch(
      /^lost rotation: whoop rejected the refresh token after an earlier refresh/,
    );
    expect(worker.outcomes).toEqual(['failed', 'lost_rotation']);
    expect(worker.reauth).toEqual([row?.status_reason]);
    // A plain revocation keeps its own reason.
    await connectLapsed(['revoked']);
    sandbox.control.revokeUser('revoked');
    await worker.tokens.accessToken(worker.provider, 'revoked', stats()).catch(() => {});
    const [revoked] = await db.sql<{ status_reason: string }[]>`
      select status_reason from connections where user_id = 'revoked'`;
    expect(revoked?.status_reason).toMatch(/^refresh rejected by whoop/);
  });

  it('a lost rotation recovers where the provider replays a spent token within a grace period', async () => {
    const graceful = await startWhoopSandbox({
      requestsPerMinute: 6000,
      historyDays: 30,
      refreshTokenReuseGraceSeconds: 60,
    });
    try {
      const worker = startWorker(graceful);
      const pair = graceful.control.issueTokens('grace');
      await saveTokens(db.sql, cipher, 'whoop', 'grace', { ...pair, expiresAt: new Date() });
      graceful.control.setFaults({ refreshResponseLostRate: 1 });
      const first = await worker.tokens
        .accessToken(worker.provider, 'grace', stats())
        .catch((e: unknown) => e);
      graceful.control.setFaults({});
      expect((first as ProviderError).errorClass).toBe('transient');
      // The retry sends the same (spent) token; the provider answers with the pair it had issued.
      const token = await worker.tokens.accessToken(worker.provider, 'grace', stats());
      const page = await worker.runtime.fetchPage(
        { type: 'oauth', accessToken: token.value },
        { kind: 'cycle', start: new Date(Date.now() - 5 * 86_400_000), end: new Date() },
        stats(),
      );
      expect(page.documents.length).toBeGreaterThan(0);
      const [row] = await db.sql<{ status: string; refresh_uncertain_at: Date | null }[]>`
        select status, refresh_uncertain_at from connections where user_id = 'grace'`;
      expect(row).toEqual({ status: 'active', refresh_uncertain_at: null });
      expect(graceful.control.stats()).toMatchObject({
        refreshes: 1,
        refreshResponsesLost: 1,
        refreshReplays: 1,
        refreshReuse: 0,
      });
      expect(worker.outcomes).toEqual(['failed', 'refreshed']);
      expect(worker.reauth).toEqual([]);
    } finally {
      await graceful.close();
    }
  });

  it('refreshes ahead by a quarter of the lifetime, at most two minutes', () => {
    const issued = new Date('2026-01-01T00:00:00Z');
    const plus = (seconds: number) => new Date(issued.getTime() + seconds * 1000);
    expect(refreshAheadMs(plus(10), issued)).toBe(2_500);
    expect(refreshAheadMs(plus(30), issued)).toBe(7_500);
    expect(refreshAheadMs(plus(3600), issued)).toBe(120_000);
    expect(refreshAheadMs(plus(10), null)).toBe(120_000);
  });
});
