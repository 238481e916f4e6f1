// A provider client's request counters, handed out in deltas: each stored page gets the requests
// spent on it, and a failed or finished window the rest, so the ledger never counts one twice.
import type { RequestStats } from '../providers/types.ts';

export interface RequestMeter {
  /** The counters the provider client adds to. */
  readonly stats: RequestStats;
  /** Spent since the last take, without taking it (a page's counts, before its commit). */
  peek(): RequestStats;
  /** Spent since the last take; the next delta starts here. */
  take(): RequestStats;
}

export function createRequestMeter(): RequestMeter {
  const stats: RequestStats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
  const taken: RequestStats = { ...stats };
  const peek = () => ({
    apiCalls: stats.apiCalls - taken.apiCalls,
    rateLimited: stats.rateLimited - taken.rateLimited,
    throttleWaitMs: stats.throttleWaitMs - taken.throttleWaitMs,
  });
  return {
    stats,
    peek,
    take() {
      const delta = peek();
      Object.assign(taken, stats);
      return delta;
    },
  };
}
