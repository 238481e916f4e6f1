// The contract every provider folder fulfils (docs/architecture.md, "The provider contract").
// Types only. Workflows see a provider's pure descriptor (providers/catalog.ts); activities see its
// runtime, built at worker start from its module (providers/modules.ts, providers/registry.ts).
import type { z } from 'zod';
import type { RateBudget } from './rate-budget.ts';

export type { RateBudget } from './rate-budget.ts';

/** The logging a provider client does (pino's Logger fits). */
export interface ProviderLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** One finished request, for metrics. `status` is 0 when no response arrived (timeout, network). */
export interface RequestEvent {
  endpoint: string;
  status: number;
  latencyMs: number;
}

/** How a connection proves itself to the provider. */
export type AuthKind = 'oauth' | 'api_key' | 'none';
/** `pull`: we page through the provider's API. `push`: the data is sent to us (files, webhooks). */
export type SourceMode = 'pull' | 'push';

/** Pure facts about a provider, as plain data: workflows validate inputs and plan windows from these. */
export interface ProviderDescriptor {
  /** Stored in every row's `provider` column: lower case, [a-z0-9_]. */
  readonly name: string;
  /** For people, as the provider spells its own name. */
  readonly displayName: string;
  readonly auth: AuthKind;
  readonly mode: SourceMode;
  /** Kinds pulled by default, in fetch order (a kind that borrows another's times comes after it). */
  readonly kinds: readonly string[];
  /** Kinds fetched only when asked for by name (large or costly ones). */
  readonly optInKinds?: readonly string[];
  /** Default backfill window length: a handful of pages per activity. */
  readonly windowDays: number;
  /** Per-kind window lengths where the API caps a request's span. */
  readonly windowDaysByKind?: Readonly<Record<string, number>>;
  /**
   * Kinds the provider filters by the record's day instead of its start instant (a `day` field asked
   * for as [start_date, end_date)). A window then covers the days it touches (providers/day-range.ts), and
   * what vanished from it is looked for by local_day, not start_at.
   */
  readonly dayFilteredKinds?: readonly string[];
  /** Records newer than this may still change: their windows are never final; incremental re-reads this far. */
  readonly rescoreLookbackDays: number;
  /** Prefix of the provider's environment variables: 'ACME' → ACME_REQUESTS_PER_MINUTE. */
  readonly envPrefix: string;
  /** OAuth facts that are not configuration (URLs and client credentials come from the environment). */
  readonly oauth?: { readonly scopes: string; readonly pkce: boolean };
  /**
   * api_key providers: the `connect` flag naming the user's id at the provider, besides the generic
   * --external-user-id (e.g. 'acme-user-id').
   */
  readonly externalUserIdFlag?: string;
}

/** What a pull needs from the connection, by auth kind (activities/credentials.ts picks it). */
export type Credentials =
  | { type: 'oauth'; accessToken: string }
  /** The user's id at the provider; the app's key is configuration. */
  | { type: 'api_key'; externalUserId: string }
  | { type: 'none' };

export interface PageRequest {
  kind: string;
  /** Inclusive. */
  start: Date;
  /** Exclusive. */
  end: Date;
  /** The provider's page cursor; undefined for the first page. */
  cursor?: string;
}

/** One fetched page as the provider sent it: documents not yet validated. */
export interface RawPage {
  kind: string;
  documents: unknown[];
  /** Undefined when this was the last page. */
  nextCursor?: string;
}

/** A provider record mapped to the columns of the `records` table. `payload` is stored whole. */
export interface MappedRecord {
  kind: string;
  sourceId: string;
  startAt: Date | null;
  endAt: Date | null;
  /** '+hh:mm', '-hh:mm' or 'Z' as the provider gives it. */
  tzOffset: string | null;
  /** YYYY-MM-DD in the wearer's own timezone. */
  localDay: string | null;
  providerUpdatedAt: Date | null;
  payload: Record<string, unknown>;
  /**
   * For records without times of their own (a score that belongs to a day's cycle): the stored record
   * whose start/end/day/offset they take when their own are null.
   */
  timeFrom?: { kind: string; sourceId: string };
  /** The device or app that measured it, when the provider aggregates several. */
  source?: string | null;
}

/** A record that failed validation: stored in `quarantine` with the reason, never silently dropped. */
export interface QuarantinedRecord {
  kind: string;
  sourceId: string | null;
  reason: string;
  payload: unknown;
}

/** Documents after validation and mapping: the good ones, and the bad ones with their reasons. */
export interface MappedPage {
  records: MappedRecord[];
  quarantined: QuarantinedRecord[];
}

/** A mapped page with its cursor (a provider client's own convenience). */
export interface Page extends MappedPage {
  /** Undefined when this was the last page. */
  nextCursor?: string;
}

/** What a token endpoint returned; the refresh token may be new (rotation) and the old one is spent. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  /** Absolute expiry of the access token. */
  expiresAt: Date;
}

/** Counters a provider client keeps per call site, for the run ledger. */
export interface RequestStats {
  apiCalls: number;
  rateLimited: number;
  throttleWaitMs: number;
}

/** The OAuth side of a runtime: endpoints and client from the environment, calls through the budget. */
export interface OAuthRuntime {
  authorizeUrl: string;
  tokenUrl: string;
  clientId?: string;
  clientSecret?: string;
  /** Spends `refreshToken` (single-use at some providers) and returns the new pair; persist it first. */
  refreshTokens(refreshToken: string, stats: RequestStats): Promise<TokenSet>;
  /** The authorization-code grant; `codeVerifier` when the descriptor says PKCE. */
  exchangeCode(
    code: string,
    redirectUri: string,
    codeVerifier: string | undefined,
    stats: RequestStats,
  ): Promise<TokenSet>;
}

/** Inbound webhooks of a push-capable provider; `serve` calls these. */
export interface WebhookRuntime {
  /** Throws WebhookRejected (providers/errors.ts) unless signature and timestamp verify; rawBody is the exact bytes. */
  verify(headers: Record<string, string | undefined>, rawBody: Buffer, now: Date): void;
  /** The events to act on. */
  parse(rawBody: Buffer): WebhookEvent[];
  /**
   * Providers that check an endpoint with a GET before delivering to it (`GET
   * /v1/webhooks/<provider>?…`): the answer to send, or WebhookRejected (401) when the query does not
   * carry what the provider was configured with.
   */
  challenge?(query: URLSearchParams): { challenge: string };
  /** Providers that deliver only to subscriptions that expire (kept alive by a Temporal schedule). */
  subscriptions?: WebhookSubscriptions;
}

/** What keeping a provider's webhook subscriptions did: counts, and the earliest expiry left. */
export interface SubscriptionOutcome {
  kept: number;
  created: number;
  renewed: number;
  /** ISO instant; null when there is no subscription. */
  earliestExpiry: string | null;
}

export interface WebhookSubscriptions {
  /** The app's credentials and verification token are configured: subscriptions can be made. */
  readonly configured: boolean;
  /**
   * Lists the app's subscriptions, creates the missing ones for `callbackUrl` (the provider checks
   * the callback before it creates one), and renews those that expire before `renewBefore`.
   */
  ensure(callbackUrl: string, renewBefore: Date, stats: RequestStats): Promise<SubscriptionOutcome>;
}

/**
 * What a verified event asks for. `upsert`: documents carried in the event, mapped by
 * `mapDocuments` and upserted before the delivery is acknowledged. `delete`: soft-delete one record.
 * `fetch`: a narrow re-read of one kind (the `webhookFetch` workflow). `backfill`: the provider says
 * its history for [start, end) is complete: a backfill of that range, through the coverage ledger.
 */
export type WebhookEvent =
  | { type: 'upsert'; externalUserId: string; kind: string; documents: unknown[] }
  | { type: 'delete'; externalUserId: string; kind: string; sourceId: string }
  | { type: 'fetch'; externalUserId: string; kind: string; start: Date; end: Date }
  | { type: 'backfill'; externalUserId: string; kind: string; start: Date; end: Date };

/** A provider wired to its configuration and budget: what activities call. */
export interface ProviderRuntime {
  readonly descriptor: ProviderDescriptor;
  /** Pull providers only: one page of raw documents. */
  fetchPage?(credentials: Credentials, request: PageRequest, stats: RequestStats): Promise<RawPage>;
  /** Pure: validate and map each document; bad ones are quarantined with a reason. */
  mapDocuments(kind: string, documents: unknown[]): MappedPage;
  /** OAuth providers. */
  oauth?: OAuthRuntime;
  /** api_key providers: fails (invalid_input) unless the provider knows this user, before it is stored. */
  validateExternalUser?(externalUserId: string, stats: RequestStats): Promise<void>;
  webhooks?: WebhookRuntime;
}

/** The app-wide request budget a provider's configuration grants. */
export interface ProviderBudget {
  perMinute: number;
  perDay?: number;
}

/** What a runtime is built with: providers import nothing from store/ or worker/, they are handed this. */
export interface RuntimeDeps {
  budget: RateBudget;
  logger: ProviderLogger;
  onRequest?: (event: RequestEvent) => void;
}

/** What a connection is stored with (`wearhouse connect`, a sandbox user): by auth kind. */
export type ConnectionGrant =
  | { type: 'oauth'; accessToken: string; refreshToken: string; expiresInSeconds: number }
  | { type: 'api_key'; externalUserId: string }
  | { type: 'none' };

export interface SandboxStartOptions {
  port?: number;
  requestsPerMinute?: number;
  /** New data appears as real time passes (the demo's schedules then have something to fetch). */
  autoExtend?: boolean;
}

export interface RunningSandbox {
  url: string;
  /** Environment values (by variable name) that point this provider's runtime at the sandbox. */
  config: Record<string, unknown>;
  /** The users `npm run demo` connects. */
  demoUsers: readonly string[];
  /** Credentials for one of this sandbox's users. */
  grant(userId: string): ConnectionGrant | Promise<ConnectionGrant>;
  close(): Promise<void>;
}

export interface ProviderSandbox {
  start(options: SandboxStartOptions): Promise<RunningSandbox>;
  /** `wearhouse sandbox <name> [flags]`: serves until SIGINT/SIGTERM. */
  runCli(args: string[]): Promise<void>;
}

/** A provider folder's export (`provider` in providers/<name>/index.ts). */
export interface ProviderModule<Schema extends z.ZodObject = z.ZodObject> {
  readonly descriptor: ProviderDescriptor;
  /** Its environment variables, merged into the config by worker/config.ts. */
  readonly envSchema: Schema;
  budgetFrom(config: z.output<Schema>): ProviderBudget;
  createRuntime(config: z.output<Schema>, deps: RuntimeDeps): ProviderRuntime;
  /** Tests and the demo: a dynamic import, so the sandbox stays out of production paths. */
  sandbox?: () => Promise<ProviderSandbox>;
}

/** What the token manager (activities/tokens.ts) needs of an OAuth provider. */
export interface TokenRefresher {
  readonly name: string;
  refreshTokens(refreshToken: string, stats: RequestStats): Promise<TokenSet>;
}
