// Public contract of the Oura sandbox (tests, the demo and benchmarks code against these names).
import type { SandboxFaults } from '../../sandbox-kit/faults.ts';
import type { TokenPair } from '../../sandbox-kit/tokens.ts';
import type { DeliveryResult, OuraNotification, SandboxSubscription } from './webhooks.ts';

export type { SandboxFaults } from '../../sandbox-kit/faults.ts';
export type { TokenPair } from '../../sandbox-kit/tokens.ts';
export type { DeliveryResult, OuraNotification, SandboxSubscription } from './webhooks.ts';

/** The collections the sandbox serves (the /v2/usercollection/<name> names). */
export const OURA_SANDBOX_KINDS = [
  'daily_sleep',
  'sleep',
  'daily_readiness',
  'daily_activity',
  'workout',
  'session',
  'daily_spo2',
  'daily_stress',
  'heartrate',
] as const;
export type OuraSandboxKind = (typeof OURA_SANDBOX_KINDS)[number];
export type DailyDocumentKind = Exclude<OuraSandboxKind, 'heartrate'>;

/** One rate-limit layer: `limit` requests per `windowSeconds`. */
export interface RateLayer {
  limit: number;
  windowSeconds: number;
}

export interface OuraSandboxOptions {
  /** 0 = ephemeral (default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** The per-application layer, all tokens together. Default 5000 per 300 s. */
  appLimit?: RateLayer;
  /** The per-access-token layer. Default 5000 per 300 s (as generous as the app's). */
  tokenLimit?: RateLayer;
  /** Default 86400 (a day). */
  accessTokenTtlSeconds?: number;
  /** Data clock: which days exist, token expiry. Default () => new Date(). */
  now?: () => Date;
  /** Clock (epoch ms) of the rate-limit windows; real time by default, because clients really wait. */
  rateClock?: () => number;
  /** Days of history before `now` per user, default 5*365+30. */
  historyDays?: number;
  /** Documents per page of the day-filtered collections, default 50. */
  pageSize?: number;
  /** Samples per heartrate page, default 1000. */
  heartratePageSize?: number;
  /** Global seed, default 'wearhouse'. */
  seed?: string;
  faults?: SandboxFaults;
  /** How long a webhook subscription lasts after creation or renewal. Default 30 days. */
  webhookTtlSeconds?: number;
}

export interface OuraSandboxStats {
  /** All HTTP requests incl. the token endpoint (not the /_sandbox control endpoints). */
  requests: number;
  /** E.g. 'GET /v2/usercollection/sleep': 12. */
  byEndpoint: Record<string, number>;
  /** 429s by layer. */
  app429: number;
  token429: number;
  injected429: number;
  injected5xx: number;
  /** 403s for users whose subscription expired. */
  forbidden: number;
  refreshes: number;
  refreshReuse: number;
  unauthorized: number;
}

export interface OuraSandboxControl {
  /** Create (or return) a user by key; returns a fresh token pair for it. */
  issueTokens(userKey: string): TokenPair;
  expireAccessToken(accessToken: string): void;
  /** Revoke all tokens of a user (refresh → 400 invalid_grant, API → 401). */
  revokeUser(userKey: string): void;
  /** Subscription expired: data requests answer 403 until it is active again. */
  setSubscription(userKey: string, active: boolean): void;
  setFaults(faults: SandboxFaults): void;
  /**
   * The documents the API serves for a user and kind, filtered like the API filters them: day-filtered
   * kinds by `day` in [startDay, endDay] (both inclusive), heartrate by instant in [start, end).
   */
  documents(userKey: string, kind: OuraSandboxKind, from: string, to: string): Record<string, unknown>[];
  /** Change documents after the fact (a new score, a bedtime edit): every document of `kind` on `day`. */
  mutate(userKey: string, kind: DailyDocumentKind, day: string): string[];
  /** Delete every document of `kind` on `day`; returns their ids. */
  deleteDocuments(userKey: string, kind: DailyDocumentKind, day: string): string[];
  /** The user's Oura id (personal_info.id), which webhooks carry. */
  ouraUserId(userKey: string): string;
  stats(): OuraSandboxStats;
  resetStats(): void;
  /** The app's webhook subscriptions (as GET /v2/webhook/subscription lists them). */
  subscriptions(): SandboxSubscription[];
  /** Moves a subscription's expiration_time (a test of renewal). */
  setSubscriptionExpiry(id: string, at: Date): void;
  /**
   * Signs a notification (x-oura-signature with the client secret unless another `secret` is given)
   * and POSTs it to `url`, or to every live subscription of its (event, data) type.
   */
  deliverWebhook(
    notification: OuraNotification,
    options?: { url?: string; secret?: string; timestampSeconds?: number },
  ): Promise<DeliveryResult[]>;
}

export interface OuraSandbox {
  /** API base, e.g. http://127.0.0.1:PORT (paths are /v2/usercollection/...). */
  url: string;
  /** http://127.0.0.1:PORT/oauth/token */
  tokenUrl: string;
  /** http://127.0.0.1:PORT/oauth/authorize (auto-approves; `login_hint` picks the user key). */
  authorizeUrl: string;
  control: OuraSandboxControl;
  close(): Promise<void>;
}
