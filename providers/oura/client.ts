// The Oura v2 HTTP client: collection pages (next_token), the personal_info document, and the OAuth
// token endpoint (single-use refresh tokens; the authorization code of the browser login). Every
// request goes through the app's shared budget and is classified once (providers/http.ts).
//
// Rate limits: Oura counts per access token and per app. The app layer is the shared budget
// (OURA_REQUESTS_PER_MINUTE, across every worker). The per-token layer is respected by construction:
// one user's windows run one page at a time (a token is never used by two requests at once within a
// window, and a user's windows are paced by the same app budget), and a 429 from either layer pauses
// the whole budget for Retry-After, so a token that tripped its own layer waits it out too.
import { windowDays } from '../day-range.ts';
import { ProviderError } from '../errors.ts';
import {
  type FailedResponse,
  type HttpContext,
  type ProviderLogger,
  type RequestEvent,
  requestJson,
} from '../http.ts';
import { describeIssues } from '../issues.ts';
import { requestTokens } from '../oauth-token.ts';
import type { RateBudget } from '../rate-budget.ts';
import type { RequestStats, TokenSet } from '../types.ts';
import { OURA_INSTANT_KINDS, OURA_SINGLE_KIND, type OuraCollectionKind } from './descriptor.ts';
import { pageEnvelopeSchema } from './schemas.ts';

const DAY_MS = 86_400_000;
/** The heartrate endpoint fails for spans over 30 days. */
export const OURA_MAX_INSTANT_SPAN_DAYS = 30;
const COLLECTION_PREFIX = '/v2/usercollection/';

export interface OuraClientOptions {
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

/** One collection page as the API returned it: documents unvalidated, to be mapped (mapping.ts). */
export interface OuraRawPage {
  kind: string;
  documents: unknown[];
  nextCursor?: string;
}

export interface OuraClient {
  fetchCollectionPage(
    accessToken: string,
    kind: OuraCollectionKind,
    window: CollectionWindow,
    stats: RequestStats,
  ): Promise<OuraRawPage>;
  /** The personal_info document (the user's Oura id). */
  fetchPersonalInfo(accessToken: string, stats: RequestStats): Promise<unknown>;
  /** Spends `refreshToken` (single-use) and returns the new pair; persist it before using it. */
  refreshTokens(refreshToken: string, stats: RequestStats): Promise<TokenSet>;
  /** The browser login's last step: an authorization code (and its PKCE verifier) for tokens. */
  exchangeCode(
    code: string,
    redirectUri: string,
    codeVerifier: string | undefined,
    stats: RequestStats,
  ): Promise<TokenSet>;
}

/**
 * The dates to ask a day-filtered collection for, so that every day the window [start, end) touches
 * is returned. Oura filters these collections by the document's `day` and a date-only end_date
 * EXCLUDES that day (research: open-wearables #1161), so end_date is the day after the last day the
 * window touches: [2024-03-01T00:00Z, 2024-03-31T00:00Z) asks start_date=2024-03-01,
 * end_date=2024-03-31 and gets 1–30 March. Days are UTC dates of the window's instants; Oura's `day`
 * is the wearer's date, so windows that meet at a UTC midnight split the days exactly between them.
 */
export function ouraDateRange(start: Date, end: Date): { startDate: string; endDate: string } {
  if (!(end.getTime() > start.getTime())) {
    throw new ProviderError('Oura window: end must be after start', 'invalid_input');
  }
  const { startDay, endDay } = windowDays(start, end);
  return { startDate: startDay, endDate: endDay };
}

/** How every Oura request is made: the app's budget, Oura's reading of its rate-limit headers. */
export function ouraHttpContext(options: OuraClientOptions): HttpContext {
  return {
    provider: 'Oura',
    // Oura's X-RateLimit-Reset is the Unix epoch second the window resets at.
    rateLimitReset: 'unix-epoch',
    budget: options.budget,
    timeoutMs: options.timeoutMs ?? 30_000,
    logger: options.logger,
    onRequest: options.onRequest,
  };
}

export function createOuraClient(options: OuraClientOptions): OuraClient {
  const ctx = ouraHttpContext(options);
  const apiBase = options.apiUrl.replace(/\/+$/, '');
  const bearer = (accessToken: string) => ({
    authorization: `Bearer ${accessToken}`,
    accept: 'application/json',
  });
  const client = () => {
    if (!options.clientId || !options.clientSecret) {
      throw new ProviderError(
        'Oura tokens need OURA_CLIENT_ID and OURA_CLIENT_SECRET to be configured',
        'client_error',
      );
    }
    return { client_id: options.clientId, client_secret: options.clientSecret };
  };

  return {
    async fetchCollectionPage(accessToken, kind, window, stats) {
      const path = COLLECTION_PREFIX + kind;
      const url = new URL(apiBase + path);
      if (OURA_INSTANT_KINDS.includes(kind)) {
        if (window.end.getTime() - window.start.getTime() > OURA_MAX_INSTANT_SPAN_DAYS * DAY_MS) {
          throw new ProviderError(
            `Oura ${kind}: a request spans at most ${OURA_MAX_INSTANT_SPAN_DAYS} days`,
            'invalid_input',
          );
        }
        url.searchParams.set('start_datetime', window.start.toISOString());
        url.searchParams.set('end_datetime', window.end.toISOString());
      } else {
        const { startDate, endDate } = ouraDateRange(window.start, window.end);
        url.searchParams.set('start_date', startDate);
        url.searchParams.set('end_date', endDate);
      }
      if (window.cursor) url.searchParams.set('next_token', window.cursor);
      const body = await requestJson(
        ctx,
        { method: 'GET', url, endpoint: path, headers: bearer(accessToken), classify: classifyDataFailure },
        stats,
      );
      const envelope = pageEnvelopeSchema.safeParse(body);
      if (!envelope.success) {
        // The API changed shape: no document can be trusted and retrying will not help.
        throw new ProviderError(`Oura ${kind} page: ${describeIssues(envelope.error)}`, 'client_error');
      }
      const next = envelope.data.next_token ?? undefined;
      // The same cursor again would loop the window forever.
      if (next && next === window.cursor) {
        throw new ProviderError(`Oura ${kind} page: next_token repeats the request's cursor`, 'client_error');
      }
      return { kind, documents: envelope.data.data, nextCursor: next || undefined };
    },

    async fetchPersonalInfo(accessToken, stats) {
      const path = COLLECTION_PREFIX + OURA_SINGLE_KIND;
      return requestJson(
        ctx,
        {
          method: 'GET',
          url: new URL(apiBase + path),
          endpoint: path,
          headers: bearer(accessToken),
          classify: classifyDataFailure,
        },
        stats,
      );
    },

    refreshTokens(refreshToken, stats) {
      return requestTokens(
        ctx,
        options.tokenUrl,
        { grant_type: 'refresh_token', refresh_token: refreshToken, ...client() },
        stats,
        refreshToken,
      );
    },

    exchangeCode(code, redirectUri, codeVerifier, stats) {
      const form: Record<string, string> = {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        ...client(),
      };
      if (codeVerifier) form.code_verifier = codeVerifier;
      return requestTokens(ctx, options.tokenUrl, form, stats);
    },
  };
}

/**
 * Oura's 403: the user's membership expired or the data type is not consented. The grant is fine, so
 * it is neither 'unauthorized' (no refresh helps) nor a revocation; it stops until the user acts.
 */
export function classifyDataFailure({ status, label, json }: FailedResponse): ProviderError | undefined {
  if (status !== 403) return undefined;
  const detail = (json as { detail?: unknown } | null | undefined)?.detail;
  const said = typeof detail === 'string' && /^[\w .,'()-]{1,200}$/.test(detail) ? `: ${detail}` : '';
  return new ProviderError(
    `${label}: HTTP 403, access denied (Oura subscription expired or data type not consented)${said}`,
    'access_denied',
    status,
  );
}
