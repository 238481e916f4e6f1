// The contract every provider folder fulfils. Activities and workflows only see this shape;
// the registry (providers/registry.ts) maps a provider name to its implementation.

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
   * For records without times of their own (a WHOOP recovery belongs to a cycle): the stored record
   * whose start/end/day/offset they take when their own are null.
   */
  timeFrom?: { kind: string; sourceId: string };
}

/** A record that failed validation: stored in `quarantine` with the reason, never silently dropped. */
export interface QuarantinedRecord {
  kind: string;
  sourceId: string | null;
  reason: string;
  payload: unknown;
}

export interface PageRequest {
  kind: string;
  /** Inclusive. */
  start: Date;
  /** Exclusive. */
  end: Date;
  /** The provider's page cursor; undefined for the first page. */
  cursor?: string;
}

export interface Page {
  records: MappedRecord[];
  quarantined: QuarantinedRecord[];
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

export interface ProviderApi {
  readonly name: string;
  /** Paged collection kinds, in the order a backfill should fetch them. */
  readonly kinds: readonly string[];
  /** How far back a provider may still change records (WHOOP rescoring). Newer windows are never final. */
  readonly rescoreLookbackDays: number;
  /** Backfill window length per activity. */
  readonly windowDays: number;
  fetchPage(accessToken: string, request: PageRequest, stats: RequestStats): Promise<Page>;
  refreshTokens(refreshToken: string, stats: RequestStats): Promise<TokenSet>;
}
