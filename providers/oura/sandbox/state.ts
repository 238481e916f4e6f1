// Everything one running Oura sandbox knows: options with defaults applied, users, tokens, both
// rate-limit layers, faults and counters. Routes, OAuth and the control surface share this object.
import { type SandboxFaults, validateFaults } from '../../sandbox-kit/faults.ts';
import type { OAuthHost } from '../../sandbox-kit/oauth.ts';
import { TokenStore } from '../../sandbox-kit/tokens.ts';
import { OuraRateLimits } from './rate-limit.ts';
import type { OuraSandboxOptions, OuraSandboxStats } from './types.ts';
import { UserData } from './user-data.ts';
import { OuraWebhookHost } from './webhooks.ts';

export const DEFAULT_SCOPE = 'email personal daily heartrate workout session spo2Daily';

function emptyStats(): OuraSandboxStats {
  return {
    requests: 0,
    byEndpoint: {},
    app429: 0,
    token429: 0,
    injected429: 0,
    injected5xx: 0,
    forbidden: 0,
    refreshes: 0,
    refreshReuse: 0,
    unauthorized: 0,
  };
}

export class OuraSandboxState implements OAuthHost {
  readonly seed: string;
  readonly historyDays: number;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly pageSize: number;
  readonly heartratePageSize: number;
  readonly tokens: TokenStore;
  readonly limits: OuraRateLimits;
  readonly webhooks: OuraWebhookHost;
  faults: SandboxFaults;
  stats: OuraSandboxStats = emptyStats();
  dataRequests = 0;
  tokenRequests = 0;
  private readonly clock: () => Date;
  private readonly users = new Map<string, UserData>();

  constructor(options: OuraSandboxOptions) {
    this.seed = options.seed ?? 'wearhouse';
    this.historyDays = options.historyDays ?? 5 * 365 + 30;
    this.clientId = options.clientId ?? 'sandbox-client';
    this.clientSecret = options.clientSecret ?? 'sandbox-secret';
    this.pageSize = options.pageSize ?? 50;
    this.heartratePageSize = options.heartratePageSize ?? 1000;
    this.clock = options.now ?? (() => new Date());
    this.tokens = new TokenStore(() => this.nowMs(), options.accessTokenTtlSeconds ?? 86_400, DEFAULT_SCOPE);
    this.limits = new OuraRateLimits(
      options.appLimit ?? { limit: 5000, windowSeconds: 300 },
      options.tokenLimit ?? { limit: 5000, windowSeconds: 300 },
      options.rateClock ?? Date.now,
    );
    this.faults = validateFaults(options.faults ?? {});
    this.webhooks = new OuraWebhookHost(
      this,
      (options.webhookTtlSeconds ?? 30 * 86_400) * 1000,
      (key) => this.user(key).ouraUserId,
    );
  }

  nowMs(): number {
    return this.clock().getTime();
  }

  user(key: string): UserData {
    let user = this.users.get(key);
    if (!user) {
      user = new UserData(this.seed, key, this.nowMs(), this.historyDays);
      this.users.set(key, user);
    }
    return user;
  }

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
