// The Junction client against the Junction sandbox over real HTTP: user validation, the inclusive
// date semantics on both sides, every summary document owned by exactly one window, heart-rate
// paging without loss, and 429/503 classified as retryable with their Retry-After.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../providers/errors.ts';
import { createJunctionClient, type JunctionClient } from '../providers/junction/client.ts';
import { mapJunctionDocuments } from '../providers/junction/mapping.ts';
import { type JunctionSandbox, startJunctionSandbox } from '../providers/junction/sandbox/index.ts';
import { createLocalBudget } from '../providers/rate-budget.ts';
import type { RequestStats } from '../providers/types.ts';

const NOW = new Date('2025-03-20T12:00:00Z');
const DAY_MS = 86_400_000;
let sandbox: JunctionSandbox;
let client: JunctionClient;

const stats = (): RequestStats => ({ apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 });
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
const startOf = (record: { startAt: Date | null }) => record.startAt?.getTime() ?? Number.NaN;

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => new Error('expected the request to fail'),
    (e: unknown) => e,
  );
  if (!(error instanceof ProviderError)) throw error;
  return error;
}

beforeAll(async () => {
  sandbox = await startJunctionSandbox({ now: NOW, historyDays: 120 });
  client = createJunctionClient({
    apiUrl: sandbox.url,
    apiKey: sandbox.apiKey,
    budget: createLocalBudget(60_000),
  });
});
afterAll(() => sandbox?.close());

describe('validateExternalUser', () => {
  it('accepts a sandbox user and names an unknown one clearly', async () => {
    await client.validateExternalUser(sandbox.userId('alice'), stats());
    const unknown = await failure(
      client.validateExternalUser('00000000-0000-4000-8000-000000000000', stats()),
    );
    expect(unknown.errorClass).toBe('invalid_input');
    expect(unknown.message).toMatch(/^no such Junction user 00000000-0000-4000-8000-000000000000/);
  });

  it('refuses a malformed id before any request, and reports a refused API key', async () => {
    const before = sandbox.requestCount();
    const malformed = await failure(client.validateExternalUser('alice', stats()));
    expect(malformed.errorClass).toBe('invalid_input');
    expect(sandbox.requestCount()).toBe(before);
    const wrongKey = createJunctionClient({
      apiUrl: sandbox.url,
      apiKey: 'nope',
      budget: createLocalBudget(60_000),
    });
    const refused = await failure(wrongKey.validateExternalUser(sandbox.userId('alice'), stats()));
    expect(refused.errorClass).toBe('client_error');
    expect(refused.message).toMatch(/API key was refused/);
    expect(refused.message).not.toContain('nope');
  });
});

describe('date semantics', () => {
  it('the sandbox reads a date-only end as the whole of that day', async () => {
    const url = `${sandbox.url}/v2/summary/activity/${sandbox.userId('alice')}?start_date=2025-02-10&end_date=2025-02-10`;
    const body = (await (await fetch(url, { headers: { 'x-vital-api-key': sandbox.apiKey } })).json()) as {
      activity: { calendar_date: string }[];
    };
    // alice's activity comes from two sources: two documents, both of that one day.
    expect(body.activity.map((a) => a.calendar_date)).toEqual(['2025-02-10', '2025-02-10']);
  });

  it('one aligned day of heart rate is exactly that day: 00:00 through 23:50', async () => {
    const page = await client.fetchHeartRatePage(
      sandbox.userId('bob'),
      { start: day('2025-02-10'), end: day('2025-02-11') },
      stats(),
    );
    const times = page.documents.map((d) => (d as { timestamp: string }).timestamp);
    expect(times).toHaveLength(144);
    expect(times[0]).toBe('2025-02-10T00:00:00+00:00');
    expect(times.at(-1)).toBe('2025-02-10T23:50:00+00:00');
    expect(page.nextCursor).toBeUndefined();
  });
});

describe('fetchSummary', () => {
  it('gives every document to exactly one of two adjacent windows, by its start', async () => {
    const userId = sandbox.userId('carol');
    const a = { start: day('2025-01-01'), end: day('2025-01-31') };
    const b = { start: day('2025-01-31'), end: day('2025-03-02') };
    for (const kind of ['sleep', 'activity', 'workouts', 'body'] as const) {
      const first = mapJunctionDocuments(
        kind,
        (await client.fetchSummary(userId, kind, a, stats())).documents,
      );
      const second = mapJunctionDocuments(
        kind,
        (await client.fetchSummary(userId, kind, b, stats())).documents,
      );
      expect(first.quarantined).toEqual([]);
      for (const record of first.records) expect(startOf(record)).toBeLessThan(a.end.getTime());
      for (const record of second.records) expect(startOf(record)).toBeGreaterThanOrEqual(b.start.getTime());
      // The expected documents: every day the sandbox serves, owned by whichever window holds its start.
      const expected = new Set<string>();
      for (let at = a.start.getTime() - 2 * DAY_MS; at < b.end.getTime() + 2 * DAY_MS; at += DAY_MS) {
        const docs = sandbox.documents('carol', kind, new Date(at).toISOString().slice(0, 10));
        for (const record of mapJunctionDocuments(kind, docs).records) {
          const start = startOf(record);
          if (start >= a.start.getTime() && start < b.end.getTime()) expected.add(record.sourceId);
        }
      }
      const got = [...first.records, ...second.records].map((r) => r.sourceId);
      expect(new Set(got).size).toBe(got.length);
      expect(new Set(got)).toEqual(expected);
      expect(expected.size).toBeGreaterThan(kind === 'sleep' || kind === 'activity' ? 55 : 10);
    }
  });

  it('keeps the source of each document: alice has Oura and Apple Health activity', async () => {
    const page = await client.fetchSummary(
      sandbox.userId('alice'),
      'activity',
      { start: day('2025-02-01'), end: day('2025-02-08') },
      stats(),
    );
    const sources = mapJunctionDocuments('activity', page.documents).records.map((r) => r.source);
    expect(new Set(sources)).toEqual(new Set(['oura', 'apple_health_kit']));
    expect(sources).toHaveLength(14);
  });
});

describe('heart-rate paging', () => {
  it('pages a week with next_cursor and loses nothing', async () => {
    const window = { start: day('2025-02-01'), end: day('2025-02-08') };
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.fetchHeartRatePage(sandbox.userId('alice'), { ...window, cursor }, stats());
      pages += 1;
      seen.push(...mapJunctionDocuments('heartrate', page.documents).records.map((r) => r.sourceId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(7 * 144);
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('faults', () => {
  it('classifies 503 with Retry-After and 429 as rate limited, a bare 503 as transient', async () => {
    sandbox.faults.failNext({ status: 503, retryAfterSeconds: 3 });
    sandbox.faults.failNext({ status: 429, retryAfterSeconds: 2 });
    sandbox.faults.failNext({ status: 503 });
    const userId = sandbox.userId('bob');
    const window = { start: day('2025-02-01'), end: day('2025-02-02') };
    const counters = stats();
    const unavailable = await failure(client.fetchSummary(userId, 'sleep', window, counters));
    expect([unavailable.errorClass, unavailable.retryAfterMs, unavailable.status]).toEqual([
      'rate_limited',
      3000,
      503,
    ]);
    const limited = await failure(client.fetchSummary(userId, 'sleep', window, counters));
    expect([limited.errorClass, limited.retryAfterMs, limited.retryable]).toEqual([
      'rate_limited',
      2000,
      true,
    ]);
    expect(counters).toMatchObject({ apiCalls: 2, rateLimited: 2 });
    const bare = await failure(client.fetchSummary(userId, 'sleep', window, stats()));
    expect([bare.errorClass, bare.retryable]).toEqual(['transient', true]);
    const ok = await client.fetchSummary(userId, 'sleep', window, stats());
    expect(ok.documents.length).toBeGreaterThan(0);
  });
});
