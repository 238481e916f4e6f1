// The WHOOP v2 HTTP client: collection pages, the two single objects and the token refresh. Every
// request goes through the shared budget and is classified once (providers/http.ts); the only
// WHOOP-specific classification is the token endpoint's, where a rejected refresh means revocation.
import { ProviderError } from '../errors.ts';
import { type FailedResponse, type ProviderLogger, type RequestEvent, requestJson } from '../http.ts';
import type { RateBudget } from '../rate-budget.ts';
import type { Page, RawPage, RequestStats, TokenSet } from '../types.ts';
import {
  describeIssues,
  mapWhoopDocuments,
  mapWhoopRecord,
  parseWhoopEnvelope,
  type WhoopCollectionKind,
  type WhoopSingleKind,
} from './mapping.ts';
import { tokenResponseSchema } from './schemas.ts';

export const WHOOP_COLLECTION_PATHS: Record<WhoopCollectionKind, string> = {
  cycle: '/v2/cycle',
  sleep: '/v2/activity/sleep',
  recovery: '/v2/recovery',
  workout: '/v2/activity/workout',
};
const SINGLE_PATHS: Record<WhoopSingleKind, string> = {
  profile: '/v2/user/profile/basic',
  body_measurement: '/v2/user/measurement/body',
};
/** WHOOP's maximum page size: fewer requests per window. */
export const WHOOP_PAGE_LIMIT = 25;
/** Metrics label of the token endpoint, whose URL is configurable. */
export const TOKEN_ENDPOINT = 'oauth/token';

export interface WhoopClientOptions {
  apiUrl: string;
  tokenUrl: string;
  clientId?: string;
  clientSecret?: string;
  budget: RateBudget;
  /** Per request, including reading the body. Default 30 s. */
  timeoutMs?: number;
  logger?: ProviderLogger;
  onRequest?: (event: RequestEvent) => void;
}

export interface CollectionWindow {
  /** Inclusive. */
  start: Date;
  /** Exclusive. */
  end: Date;
  cursor?: string;
}

export interface WhoopClient {
  /** One page of a collection as WHOOP sent it (envelope checked, documents not yet validated). */
  fetchCollectionDocuments(
    accessToken: string,
    kind: WhoopCollectionKind,
    window: CollectionWindow,
    stats: RequestStats,
  ): Promise<RawPage>;
  fetchCollectionPage(
    accessToken: string,
    kind: WhoopCollectionKind,
    window: CollectionWindow,
    stats: RequestStats,
  ): Promise<Page>;
  /** The single profile object as a one-record page (or one quarantined record). */
  fetchProfile(accessToken: string, stats: RequestStats): Promise<Page>;
  fetchBodyMeasurement(accessToken: string, stats: RequestStats): Promise<Page>;
  /** Spends `refreshToken` (single-use) and returns the new pair; persist it before using it. */
  refreshTokens(refreshToken: string, stats: RequestStats): Promise<TokenSet>;
  /** The authorization-code grant of the browser login. */
  exchangeCode(
    code: string,
    redirectUri: string,
    codeVerifier: string | undefined,
    stats: RequestStats,
  ): Promise<TokenSet>;
}

export function createWhoopClient(options: WhoopClientOptions): WhoopClient {
  const ctx = {
    provider: 'WHOOP',
    // WHOOP's X-RateLimit-Reset counts seconds from now.
    rateLimitReset: 'delta-seconds' as const,
    budget: options.budget,
    timeoutMs: options.timeoutMs ?? 30_000,
    logger: options.logger,
    onRequest: options.onRequest,
  };
  const apiBase = options.apiUrl.replace(/\/+$/, '');
  const bearer = (accessToken: string) => ({
    authorization: `Bearer ${accessToken}`,
    accept: 'application/json',
  });

  const fetchSingle = async (
    accessToken: string,
    kind: WhoopSingleKind,
    stats: RequestStats,
  ): Promise<Page> => {
    const path = SINGLE_PATHS[kind];
    const body = await requestJson(
      ctx,
      { method: 'GET', url: new URL(apiBase + path), endpoint: path, headers: bearer(accessToken) },
      stats,
    );
    const result = mapWhoopRecord(kind, body);
    return result.ok
      ? { records: [result.record], quarantined: [] }
      : { records: [], quarantined: [result.quarantined] };
  };

  const fetchCollectionDocuments = async (
    accessToken: string,
    kind: WhoopCollectionKind,
    window: CollectionWindow,
    stats: RequestStats,
  ): Promise<RawPage> => {
    const path = WHOOP_COLLECTION_PATHS[kind];
    if (!path) throw new ProviderError(`WHOOP has no collection '${kind}'`, 'invalid_input');
    const url = new URL(apiBase + path);
    url.searchParams.set('limit', String(WHOOP_PAGE_LIMIT));
    url.searchParams.set('start', window.start.toISOString());
    url.searchParams.set('end', window.end.toISOString());
    if (window.cursor) url.searchParams.set('nextToken', window.cursor);
    const body = await requestJson(
      ctx,
      { method: 'GET', url, endpoint: path, headers: bearer(accessToken) },
      stats,
    );
    return parseWhoopEnvelope(kind, body, window.cursor);
  };

  /** Both grants at the token endpoint: the answer is a token pair or a classified failure. */
  const tokenGrant = async (
    grant: Record<string, string>,
    what: string,
    stats: RequestStats,
    fallbackRefreshToken?: string,
  ): Promise<TokenSet> => {
    if (!options.clientId || !options.clientSecret) {
      throw new ProviderError(
        `WHOOP ${what} needs WHOOP_CLIENT_ID and WHOOP_CLIENT_SECRET to be configured`,
        'client_error',
      );
    }
    const body = await requestJson(
      ctx,
      {
        method: 'POST',
        url: new URL(options.tokenUrl),
        endpoint: TOKEN_ENDPOINT,
        headers: { accept: 'application/json' },
        body: new URLSearchParams({
          ...grant,
          client_id: options.clientId,
          client_secret: options.clientSecret,
        }),
        classify: classifyTokenFailure,
      },
      stats,
    );
    const parsed = tokenResponseSchema.safeParse(body);
    if (!parsed.success) {
      // Issue paths and messages only: the body holds the tokens.
      throw new ProviderError(
        `WHOOP ${what}: unexpected response (${describeIssues(parsed.error)})`,
        'transient',
      );
    }
    // RFC 6749 §6: without a new refresh token the old one stays valid. WHOOP always sends one.
    const refreshToken = parsed.data.refresh_token ?? fallbackRefreshToken;
    if (!refreshToken) {
      throw new ProviderError(
        `WHOOP ${what}: no refresh token (was the offline scope granted?)`,
        'client_error',
      );
    }
    return {
      accessToken: parsed.data.access_token,
      refreshToken,
      expiresAt: new Date(Date.now() + parsed.data.expires_in * 1000),
    };
  };

  return {
    fetchCollectionDocuments,
    async fetchCollectionPage(accessToken, kind, window, stats) {
      const raw = await fetchCollectionDocuments(accessToken, kind, window, stats);
      const page: Page = mapWhoopDocuments(kind, raw.documents);
      if (raw.nextCursor) page.nextCursor = raw.nextCursor;
      return page;
    },

    fetchProfile: (accessToken, stats) => fetchSingle(accessToken, 'profile', stats),
    fetchBodyMeasurement: (accessToken, stats) => fetchSingle(accessToken, 'body_measurement', stats),

    refreshTokens: (refreshToken, stats) =>
      tokenGrant(
        { grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'offline' },
        'token refresh',
        stats,
        refreshToken,
      ),
    exchangeCode: (code, redirectUri, codeVerifier, stats) =>
      tokenGrant(
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          ...(codeVerifier ? { code_verifier: codeVerifier } : {}),
        },
        'code exchange',
        stats,
      ),
  };
}

/**
 * The token endpoint rejecting the refresh token or the client is a revocation: reauthorization is
 * the only way out. Its 5xx, timeouts and 429s stay transient or rate_limited (the shared default),
 * because a refresh that failed in transit is not a revocation (docs/architecture.md decision 6).
 */
export function classifyTokenFailure({ status, json, label }: FailedResponse): ProviderError | undefined {
  const code = oauthErrorCode(json);
  const revoked = code === 'invalid_grant' || code === 'invalid_client' || status === 401;
  if ((status === 400 || status === 401) && revoked) {
    return new ProviderError(
      `${label}: HTTP ${status}${code ? ` ${code}` : ''}, refresh rejected: reauthorization required`,
      'reauth_required',
      status,
    );
  }
  if (status >= 400 && status < 500 && status !== 429 && status !== 408) {
    return new ProviderError(`${label}: HTTP ${status}${code ? ` ${code}` : ''}`, 'client_error', status);
  }
  return undefined;
}

/** The OAuth `error` code, only when it looks like one (it is echoed into messages). */
function oauthErrorCode(json: unknown): string | undefined {
  const code = (json as { error?: unknown } | null | undefined)?.error;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : undefined;
}
