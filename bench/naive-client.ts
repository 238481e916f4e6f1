// The common way to stay under a provider's limit, as the baseline for the budget measurement: one
// process fetching every page sequentially through the project's own provider runtime (the one the
// worker builds from the same module and environment), held under 90 % of the limit by an in-memory
// sliding-window log (at most N requests in any 60 s), mapping and storing each page with the
// project's upsert before fetching the next.
import { setTimeout as sleep } from 'node:timers/promises';
import { splitIntoWindows } from '../activities/windows.ts';
import { windowDaysOf } from '../providers/catalog.ts';
import { ProviderError } from '../providers/errors.ts';
import type { RateBudget } from '../providers/rate-budget.ts';
import type { ProviderModule, RequestStats } from '../providers/types.ts';
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

const quiet = { debug() {}, info() {}, warn() {} };

/** Every user, default kind and window of [start, end) in turn (the provider's window lengths), page after page. */
export async function naiveBackfill(options: {
  module: ProviderModule;
  /** The provider's variables pointing at the sandbox (BenchSandbox.env). */
  env: Record<string, string>;
  requestsPerMinute: number;
  sql: Sql;
  users: NaiveUser[];
  start: Date;
  end: Date;
}): Promise<NaiveResult> {
  const { module } = options;
  const budget = createSlidingWindowLimiter(Math.floor(0.9 * options.requestsPerMinute));
  const runtime = module.createRuntime(module.envSchema.parse(options.env), { budget, logger: quiet });
  const fetchPage = runtime.fetchPage?.bind(runtime);
  if (!fetchPage) throw new Error(`${module.descriptor.name} is not a pull provider`);
  const stats: RequestStats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
  let pages = 0;
  let records = 0;
  for (const user of options.users) {
    const credentials = { type: 'oauth' as const, accessToken: user.accessToken };
    for (const kind of module.descriptor.kinds) {
      const windows = splitIntoWindows(kind, [{ start: options.start, end: options.end }], {
        windowDays: windowDaysOf(module.descriptor, kind),
        finalBefore: options.end,
      });
      for (const window of windows) {
        let cursor: string | undefined;
        do {
          const request = { kind, start: new Date(window.start), end: new Date(window.end), cursor };
          const page = await fetchWithRetry(() => fetchPage(credentials, request, stats));
          const mapped = runtime.mapDocuments(kind, page.documents);
          await upsertRecords(options.sql, module.descriptor.name, user.userId, mapped.records);
          pages++;
          records += mapped.records.length;
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
