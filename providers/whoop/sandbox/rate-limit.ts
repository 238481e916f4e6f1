// The app-wide request budget: fixed windows of 60 s and 86400 s, each ANCHORED AT THE FIRST REQUEST
// after the previous window ran out (not aligned to clock minutes). Anchoring makes "N requests in a
// row" deterministic for tests, and a client that waits out X-RateLimit-Reset always finds a fresh
// window. Requests rejected with 429 do not consume budget.

import { FixedWindow } from '../../sandbox-kit/rate-limit.ts';

export interface BudgetDecision {
  allowed: boolean;
  headers: Record<string, string>;
  /** Seconds until the exhausted window resets (only when not allowed). */
  retryAfter?: number;
}

export class RequestBudget {
  private readonly minute: FixedWindow;
  private readonly day: FixedWindow;

  constructor(
    perMinute: number,
    perDay: number,
    private readonly clock: () => number,
  ) {
    this.minute = new FixedWindow(perMinute, 60);
    this.day = new FixedWindow(perDay, 86_400);
  }

  take(): BudgetDecision {
    const now = this.clock();
    this.minute.roll(now);
    this.day.roll(now);
    const exhausted =
      this.day.remaining(now) === 0 ? this.day : this.minute.remaining(now) === 0 ? this.minute : undefined;
    if (exhausted) {
      return { allowed: false, headers: this.headers(now), retryAfter: exhausted.resetIn(now) };
    }
    this.minute.count++;
    this.day.count++;
    return { allowed: true, headers: this.headers(now) };
  }

  /** Headers as WHOOP sends them; Remaining/Reset describe whichever window binds first. */
  headers(now = this.clock()): Record<string, string> {
    const dayLeft = this.day.remaining(now);
    const binding = dayLeft === 0 || dayLeft < this.minute.remaining(now) ? this.day : this.minute;
    return {
      'X-RateLimit-Limit': `${this.minute.limit}, ${this.minute.limit};window=60, ${this.day.limit};window=86400`,
      'X-RateLimit-Remaining': String(binding.remaining(now)),
      'X-RateLimit-Reset': String(binding.resetIn(now)),
    };
  }
}
