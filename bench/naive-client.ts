// The common way to stay under a provider's limit, as the baseline for the budget measurement: one
// process fetching every page sequentially through the project's WHOOP client, held under 90 % of the
// limit by an in-memory sliding-window log (at most N requests in any 60 s), storing each page with
// the project's upsert before fetching the next.
import { setTimeout as sleep } from 'node:timers/promises';
import { splitIntoWindows } from '../activities/windows.ts';
import { ProviderError } from '../providers/errors.ts';
import type { RateBudget } from '../providers/rate-budget.ts';
import type { RequestStats } from '../providers/types.ts';
import { createWhoopClient, WHOOP_COLLECTION_KINDS } from '../providers/whoop/index.ts';
import type { Sql } from '../store/db.ts';
import { upsertRecords } from '../store/records.ts';

/** At most `limit` requests in any `windowMs`; a 429 pauses everyone for Retry-After. */
export function createSlidingWindowLimiter(limit: number, windowMs = 60_000): RateBudget {
  const sent: number[] = [];
  let pausedUntil = 0;
  let tail: Promise<unknown> = Promise.resolve();
  const take = async () => {
    for (;;) {
      const now = Date.now();
      while (sent.length > 0 && (sent[0] as number) <= now - windowMs) sent.shift();
      const wait = Math.max(
        pausedUntil - now,
        sent.length >= limit ? (sent[0] as number) + windowMs - now : 0,
      );
      if (wait <= 0) break;
      await sleep(wait);
    }
    sent.push(Date.now());
  };
  return {
    async acquire() {
      const started = Date.now();
      const turn = tail.then(take);
      tail = turn.catch(() => {});
      await turn;
      return Date.now() - started;
    },
    observe() {},
    penalize(ms) {
      pausedUntil = Math.max(pausedUntil, Date.now() + ms);
    },
  };
}

export interface NaiveUser {
  userId: string;
  accessToken: string;
}

export interface NaiveResult {
  pages: number;
  records: number;
  stats: RequestStats;
}

/** Every user, kind and 30-day window of [start, end) in turn, page after page. */
export async function naiveBackfill(options: {
  apiUrl: string;
  tokenUrl: string;
  requestsPerMinute: number;
  sql: Sql;
  users: NaiveUser[];
  start: Date;
  end: Date;
  windowDays: number;
}): Promise<NaiveResult> {
  const budget = createSlidingWindowLimiter(Math.floor(0.9 * options.requestsPerMinute));
  const client = createWhoopClient({ apiUrl: options.apiUrl, tokenUrl: options.tokenUrl, budget });
  const stats: RequestStats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
  let pages = 0;
  let records = 0;
  for (const user of options.users) {
    for (const kind of WHOOP_COLLECTION_KINDS) {
      const windows = splitIntoWindows(kind, [{ start: options.start, end: options.end }], {
        windowDays: options.windowDays,
        finalBefore: options.end,
      });
      for (const window of windows) {
        let cursor: string | undefined;
        do {
          const request = { start: new Date(window.start), end: new Date(window.end), cursor };
          const page = await fetchWithRetry(() =>
            client.fetchCollectionPage(user.accessToken, kind, request, stats),
          );
          await upsertRecords(options.sql, 'whoop', user.userId, page.records);
          pages++;
          records += page.records.length;
          cursor = page.nextCursor;
        } while (cursor);
      }
    }
  }
  return { pages, records, stats };
}

/** A 429 already paused the limiter for Retry-After (penalize): try the same page again. */
async function fetchWithRetry<T>(fetch: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fetch();
    } catch (error) {
      if (!(error instanceof ProviderError && error.errorClass === 'rate_limited')) throw error;
    }
  }
}
