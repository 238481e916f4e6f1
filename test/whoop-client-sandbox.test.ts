// The WHOOP client against the WHOOP sandbox over real HTTP: the sandbox's data must pass the
// schemas, paging must lose nothing, and token rotation, revocation and the app budget must surface
// as the right error classes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../providers/errors.ts';
import {
  createLocalBudget,
  observationDelayMs,
  type RateBudget,
  type RateLimitObservation,
} from '../providers/rate-budget.ts';
import type { RequestStats } from '../providers/types.ts';
import { createWhoopClient, type WhoopClientOptions } from '../providers/whoop/client.ts';
import { startWhoopSandbox, type WhoopSandbox } from '../providers/whoop/sandbox/index.ts';

const CLIENT_SECRET = 'client-SECRET-xyz';
const issued: string[] = [CLIENT_SECRET];

/** A real local budget, recording what the client tells it; `deaf` ignores the rate-limit headers. */
function recordingBudget(deaf: boolean) {
  const inner = createLocalBudget(60_000);
  const observed: RateLimitObservation[] = [];
  const penalties: number[] = [];
  const budget: RateBudget = {
    acquire: () => inner.acquire(),
    observe: (h) => {
      observed.push(h);
      if (!deaf) inner.observe(h);
    },
    penalize: (ms) => penalties.push(ms),
  };
  return { budget, observed, penalties };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  for (const secret of issued) expect((error as Error).message).not.toContain(secret);
  return error as ProviderError;
}

describe('WHOOP client against the sandbox', () => {
  let sandbox: WhoopSandbox;
  const end = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
  const start = new Date(end.getTime() - 30 * 86_400_000);

  beforeAll(async () => {
    sandbox = await startWhoopSandbox({
      requestsPerMinute: 10_000,
      clientId: 'client-id',
      clientSecret: CLIENT_SECRET,
    });
  });
  afterAll(() => sandbox?.close());
  const against = (overrides: Partial<WhoopClientOptions> = {}, deaf = false) => {
    const { budget, observed, penalties } = recordingBudget(deaf);
    const client = createWhoopClient({
      apiUrl: sandbox.url,
      tokenUrl: sandbox.tokenUrl,
      clientId: 'client-id',
      clientSecret: CLIENT_SECRET,
      budget,
      timeoutMs: 5000,
      ...overrides,
    });
    const stats: RequestStats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
    return { client, stats, observed, penalties };
  };
  const tokensFor = (sandboxed: WhoopSandbox, user: string) => {
    const pair = sandboxed.control.issueTokens(user);
    issued.push(pair.accessToken, pair.refreshToken);
    return pair;
  };

  it('pages every kind through a 30-day window: every served record maps, none is lost', async () => {
    const { accessToken } = tokensFor(sandbox, 'carol');
    const { client, stats } = against();
    for (const kind of ['cycle', 'sleep', 'recovery', 'workout'] as const) {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.fetchCollectionPage(accessToken, kind, { start, end, cursor }, stats);
        expect(page.quarantined, kind).toEqual([]);
        ids.push(...page.records.map((r) => r.sourceId));
        cursor = page.nextCursor;
      } while (cursor);
      const served = sandbox.control.records('carol', kind, start, end) as Record<string, unknown>[];
      expect(served.length, kind).toBeGreaterThan(kind === 'workout' ? 5 : 25);
      expect(ids, kind).toEqual(served.map((r) => String(kind === 'recovery' ? r.cycle_id : r.id)));
    }
    expect((await client.fetchProfile(accessToken, stats)).records).toHaveLength(1);
    expect((await client.fetchBodyMeasurement(accessToken, stats)).records).toHaveLength(1);
  });

  it('quarantines malformed records with a reason and keeps the rest of each page', async () => {
    const { accessToken } = tokensFor(sandbox, 'dave');
    sandbox.control.setFaults({ malformedRecordRate: 0.3 });
    try {
      const { client, stats } = against();
      const page = await client.fetchCollectionPage(accessToken, 'sleep', { start, end }, stats);
      expect(page.quarantined.length).toBeGreaterThan(0);
      expect(page.records.length).toBeGreaterThan(0);
      expect(page.records.length + page.quarantined.length).toBe(25);
      for (const q of page.quarantined) expect(q.reason).toMatch(/^[a-z_]+: \S/);
    } finally {
      sandbox.control.setFaults({});
    }
  });

  it('refresh rotates the pair; the spent token then means reauthorization', async () => {
    const first = tokensFor(sandbox, 'erin');
    const { client, stats } = against();
    const next = await client.refreshTokens(first.refreshToken, stats);
    issued.push(next.accessToken, next.refreshToken);
    expect(next.refreshToken).not.toBe(first.refreshToken);
    await client.fetchCollectionPage(next.accessToken, 'cycle', { start, end }, stats);
    expect((await failure(client.refreshTokens(first.refreshToken, stats))).errorClass).toBe(
      'reauth_required',
    );
  });

  it('a revoked user: data is unauthorized, refresh is reauth_required', async () => {
    const tokens = tokensFor(sandbox, 'frank');
    sandbox.control.revokeUser('frank');
    const { client, stats } = against();
    const data = await failure(
      client.fetchCollectionPage(tokens.accessToken, 'cycle', { start, end }, stats),
    );
    expect(data.errorClass).toBe('unauthorized');
    expect((await failure(client.refreshTokens(tokens.refreshToken, stats))).errorClass).toBe(
      'reauth_required',
    );
  });

  it('reads the budget headers down to zero; a 429 past them pauses the budget for the reset', async () => {
    const tight = await startWhoopSandbox({ requestsPerMinute: 3 });
    try {
      const { accessToken } = tokensFor(tight, 'gina');
      // Deaf to the headers, or the budget would (rightly) hold the 4th request for the reset, not 429.
      const urls = { apiUrl: tight.url, tokenUrl: tight.tokenUrl };
      const { client, stats, observed, penalties } = against(urls, true);
      for (let i = 0; i < 3; i++)
        await client.fetchCollectionPage(accessToken, 'cycle', { start, end }, stats);
      expect(observed.map((o) => o.remaining)).toEqual([2, 1, 0]);
      expect(observationDelayMs(observed[2] as RateLimitObservation, 3)).toBeGreaterThan(50_000);
      const error = await failure(client.fetchCollectionPage(accessToken, 'cycle', { start, end }, stats));
      expect(error.errorClass).toBe('rate_limited');
      expect(error.retryAfterMs).toBeGreaterThan(50_000);
      expect(penalties).toEqual([error.retryAfterMs]);
      expect(stats).toMatchObject({ apiCalls: 4, rateLimited: 1 });
    } finally {
      await tight.close();
    }
  });
});
