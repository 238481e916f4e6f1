// Public contract of the WHOOP sandbox (others code against these names) plus the internal record
// shape shared by the store, the query layer and the routes.

export type WhoopKind = 'cycle' | 'sleep' | 'recovery' | 'workout';
export const WHOOP_KINDS: readonly WhoopKind[] = ['cycle', 'sleep', 'recovery', 'workout'];

export type { SandboxFaults } from '../../sandbox-kit/faults.ts';
export type { TokenPair } from '../../sandbox-kit/tokens.ts';

import type { SandboxFaults } from '../../sandbox-kit/faults.ts';
import type { TokenPair } from '../../sandbox-kit/tokens.ts';

export interface WhoopSandboxOptions {
  /** 0 = ephemeral (default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** App-wide budget (all users), default 100. */
  requestsPerMinute?: number;
  /** Default 10000. */
  requestsPerDay?: number;
  /** Default 3600. */
  accessTokenTtlSeconds?: number;
  /**
   * Sandbox extension: for this long after a refresh token was spent, presenting it again returns
   * the pair its refresh issued (a reuse grace period, as Okta and Auth0 offer; WHOOP documents
   * none). Default 0: a spent token is always rejected.
   */
  refreshTokenReuseGraceSeconds?: number;
  /** Data clock: what exists, `end` default, token expiry. Default () => new Date(). */
  now?: () => Date;
  /**
   * Sandbox extension: the clock (epoch ms) of the rate-limit windows. Defaults to real time even when
   * `now` is frozen, because clients really sleep for Retry-After; tests may pass a fake one.
   */
  rateClock?: () => number;
  /**
   * Sandbox extension: when the clock has moved (by a minute or more), add the new data before serving
   * a user, as if extendToNow() had been called. Off by default so tests control exactly when data
   * changes; useful with a real clock (the demo, the CLI).
   */
  autoExtend?: boolean;
  /** How many days of data exist before `now` per user, default 5*365+30. */
  historyDays?: number;
  /** Global seed, default 'wearhouse'. */
  seed?: string;
  faults?: SandboxFaults;
}

/** One record as served: its API id (cycle id for recoveries), the body, and the fault applied. */
export interface ServedRecord {
  id: string;
  body: Record<string, unknown>;
  fault?: 'malformed' | 'drift';
}

export interface SandboxStats {
  /** All HTTP requests incl. the token endpoint (not the /_sandbox control endpoints). */
  requests: number;
  /** E.g. 'GET /v2/cycle': 12, 'POST /oauth/oauth2/token': 2. */
  byEndpoint: Record<string, number>;
  /** 429s because the app exceeded its budget. */
  budget429: number;
  /** Storm 429s from faults. */
  injected429: number;
  injected5xx: number;
  /** Successful refresh grants. */
  refreshes: number;
  /** Attempts to use a spent refresh token. */
  refreshReuse: number;
  /** Refreshes whose rotation was committed but whose answer was dropped (refreshResponseLostRate). */
  refreshResponsesLost: number;
  /** Spent refresh tokens answered with their pair again, within refreshTokenReuseGraceSeconds. */
  refreshReplays: number;
  /** 401s. */
  unauthorized: number;
}

export interface SandboxControl {
  /** Create (or return) a user by key (e.g. 'alice'); returns a fresh token pair for it. */
  issueTokens(userKey: string): TokenPair;
  /** Make an access token expire now (others keep working). */
  expireAccessToken(accessToken: string): void;
  /** Revoke all tokens of a user (refresh → 400 invalid_grant, API → 401). */
  revokeUser(userKey: string): void;
  setFaults(faults: SandboxFaults): void;
  /**
   * All records the API currently serves for a user and kind, filtered exactly like the collection
   * endpoint filters [start, end) (end defaults to now), newest first. Deleted records excluded.
   */
  records(userKey: string, kind: WhoopKind, start?: Date, end?: Date): unknown[];
  /**
   * Sandbox extension: the same records as `records`, each as the API serves it under the current
   * faults (malformed or drifted per record), with which fault applied.
   */
  served(userKey: string, kind: WhoopKind, start?: Date, end?: Date): ServedRecord[];
  /** PENDING_SCORE records become SCORED with a moved updated_at; returns how many changed. */
  rescore(userKey: string): { rescored: number };
  /** Delete `count` records of kind (deterministic choice) within the last `withinDays` (default 30). */
  deleteRecords(userKey: string, kind: WhoopKind, count: number, withinDays?: number): string[];
  /** Add new data up to the (advanced) clock; returns how many records were added per kind. */
  extendToNow(userKey: string): Record<WhoopKind, number>;
  stats(): SandboxStats;
  resetStats(): void;
  /** Sandbox extension: sign a WHOOP v2 webhook event for a user and POST it to `url`. */
  deliverWebhook(delivery: WebhookDelivery): Promise<DeliveryResult>;
  /** The numeric WHOOP user_id of a sandbox user (what webhooks and the profile carry). */
  whoopUserId(userKey: string): number;
}

export interface WhoopSandbox {
  /** API base, e.g. http://127.0.0.1:PORT/developer. */
  url: string;
  /** E.g. http://127.0.0.1:PORT/oauth/oauth2/token. */
  tokenUrl: string;
  /** Sandbox extension: the OAuth authorize URL (auto-approves; `login_hint` picks the user key). */
  authUrl: string;
  control: SandboxControl;
  close(): Promise<void>;
}

/** One record as the sandbox keeps it: the API body plus what it needs to page, rescore and delete. */
export interface StoredRecord {
  kind: WhoopKind;
  /** The API id as a string (cycle id for cycles and recoveries). */
  id: string;
  /** Orders records with equal start; stable across restarts so cursors stay valid. */
  tieKey: string;
  /** The record's start (for recoveries: their cycle's start), epoch ms. */
  startMs: number;
  body: Record<string, unknown>;
  /** The score WHOOP "is still computing": revealed by rescore(). */
  pendingScore?: Record<string, unknown>;
  deleted: boolean;
}

/** A WHOOP v2 webhook delivery the sandbox signs and sends (providers/whoop/sandbox/webhooks.ts). */
export interface WebhookDelivery {
  url: string;
  userKey: string;
  /** E.g. 'sleep.updated', 'recovery.deleted'. */
  type: string;
  /** The record's id (for recoveries: the sleep's id, as WHOOP sends it). */
  id: string;
  /** Sign with another secret (tests of bad signatures). */
  secret?: string;
  /** Signature timestamp, epoch ms (tests of stale deliveries); default the sandbox clock. */
  timestampMs?: number;
  traceId?: string;
}

export interface DeliveryResult {
  status: number;
  body: string;
  /** The exact bytes sent (a re-delivery sends them again). */
  rawBody: string;
  headers: Record<string, string>;
}
