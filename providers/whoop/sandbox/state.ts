// Everything one running sandbox knows: options with defaults applied, users, tokens, budget, faults
// and counters. Routes and the control surface share this one object.

import { validateFaults } from '../../sandbox-kit/faults.ts';
import { TokenStore } from '../../sandbox-kit/tokens.ts';
import { DEFAULT_SCOPE } from './oauth.ts';
import { RequestBudget } from './rate-limit.ts';
import type { SandboxFaults, SandboxStats, WhoopSandboxOptions } from './types.ts';
import { UserData } from './user-data.ts';

export const DEFAULT_HISTORY_DAYS = 5 * 365 + 30;
/** autoExtend regenerates at most this often; extending costs two days of generation. */
const AUTO_EXTEND_AFTER_MS = 60_000;

function emptyStats(): SandboxStats {
  return {
    requests: 0,
    byEndpoint: {},
    budget429: 0,
    injected429: 0,
    injected5xx: 0,
    refreshes: 0,
    refreshReuse: 0,
    refreshResponsesLost: 0,
    refreshReplays: 0,
    unauthorized: 0,
  };
}

export class SandboxState {
  readonly seed: string;
  readonly historyDays: number;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly autoExtend: boolean;
  readonly tokens: TokenStore;
  readonly budget: RequestBudget;
  faults: SandboxFaults;
  stats: SandboxStats = emptyStats();
  /** Numbers data requests; seeds their fault rolls. */
  dataRequests = 0;
  /** Numbers token requests; seeds their fault rolls. */
  tokenRequests = 0;
  private readonly clock: () => Date;
  private readonly users = new Map<string, UserData>();

  constructor(options: WhoopSandboxOptions) {
    this.seed = options.seed ?? 'wearhouse';
    this.historyDays = options.historyDays ?? DEFAULT_HISTORY_DAYS;
    this.clientId = options.clientId ?? 'sandbox-client';
    this.clientSecret = options.clientSecret ?? 'sandbox-secret';
    this.autoExtend = options.autoExtend ?? false;
    this.clock = options.now ?? (() => new Date());
    this.tokens = new TokenStore(
      () => this.nowMs(),
      options.accessTokenTtlSeconds ?? 3600,
      DEFAULT_SCOPE,
      options.refreshTokenReuseGraceSeconds ?? 0,
    );
    this.budget = new RequestBudget(
      options.requestsPerMinute ?? 100,
      options.requestsPerDay ?? 10_000,
      options.rateClock ?? Date.now,
    );
    this.faults = validateFaults(options.faults ?? {});
  }

  nowMs(): number {
    return this.clock().getTime();
  }

  /** The user's data, generated on first use up to the clock's now (and kept current with autoExtend). */
  user(key: string): UserData {
    const now = this.nowMs();
    let user = this.users.get(key);
    if (!user) {
      user = new UserData(this.seed, key, now, this.historyDays);
      this.users.set(key, user);
    } else if (this.autoExtend && now - user.generatedAtMs >= AUTO_EXTEND_AFTER_MS) {
      user.extendTo(now);
    }
    return user;
  }

  /** The browser flow authorized this user: their data exists from now on. */
  touchUser(key: string): void {
    this.user(key);
  }

  hit(endpoint: string): void {
    this.stats.requests++;
    this.stats.byEndpoint[endpoint] = (this.stats.byEndpoint[endpoint] ?? 0) + 1;
  }

  resetStats(): void {
    this.stats = emptyStats();
  }
}
