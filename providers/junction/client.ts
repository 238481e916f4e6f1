// The Junction HTTP client: summaries (one request per window: summaries are not paged), the
// heart-rate series (paged by next_cursor) and the user lookup. Every request goes through the shared
// budget and is classified once (providers/http.ts); 429 and 503 (Junction's answers under load) stay
// retryable with their Retry-After, for Temporal to retry.
import { ProviderError } from '../errors.ts';
import {
  type FailedResponse,
  type ProviderLogger,
  type RequestEvent,
  requestJson,
  retryAfterMs,
} from '../http.ts';
import type { RateBudget } from '../rate-budget.ts';
import type { RequestStats } from '../types.ts';
import { padWindow, toJunctionRange } from './date-range.ts';
import { isJunctionSummaryKind, type JunctionSummaryKind } from './descriptor.ts';
import { describeIssues, mapJunctionDocument } from './mapping.ts';
import { groupedHeartRateSchema, summaryEnvelopeSchemas, userSchema } from './schemas.ts';

/** Production US. Others: https://api.eu.junction.com, https://api.sandbox.us.junction.com, …eu… */
export const JUNCTION_DEFAULT_API_URL = 'https://api.us.junction.com';

/**
 * Summaries are filtered by their calendar day, but a window owns the documents whose start
 * instant lies in it (as the coverage ledger and soft-deletes reckon). A sleep starting late on the
 * 31st belongs to the 1st; offsets reach ±14 h: asking two more days on each side and keeping what
 * starts inside the window gives every document to exactly one window.
 */
export const SUMMARY_PADDING_DAYS = 2;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface JunctionClientOptions {
  apiUrl: string;
  apiKey?: string;
  budget: RateBudget;
  /** Per request, including reading the body. Default 30 s. */
  timeoutMs?: number;
  logger?: ProviderLogger;
  onRequest?: (event: RequestEvent) => void;
}

export interface JunctionWindow {
  /** Inclusive. */
  start: Date;
  /** Exclusive. */
  end: Date;
  cursor?: string;
}

/** Raw documents of one kind (mapping is separate and pure), and the next cursor if paged. */
export interface JunctionRawPage {
  kind: string;
  documents: unknown[];
  nextCursor?: string;
}

export interface JunctionClient {
  fetchSummary(
    userId: string,
    kind: JunctionSummaryKind,
    window: JunctionWindow,
    stats: RequestStats,
  ): Promise<JunctionRawPage>;
  fetchHeartRatePage(userId: string, window: JunctionWindow, stats: RequestStats): Promise<JunctionRawPage>;
  /** Resolves when the Junction user exists; a clear invalid_input error when it does not. */
  validateExternalUser(userId: string, stats: RequestStats): Promise<void>;
}

export function createJunctionClient(options: JunctionClientOptions): JunctionClient {
  const ctx = {
    provider: 'Junction',
    // Junction documents no rate-limit headers; a Retry-After or reset it may send is seconds from now.
    rateLimitReset: 'delta-seconds' as const,
    budget: options.budget,
    timeoutMs: options.timeoutMs ?? 30_000,
    logger: options.logger,
    onRequest: options.onRequest,
  };
  const apiBase = options.apiUrl.replace(/\/+$/, '');
  const headers = () => {
    if (!options.apiKey) {
      throw new ProviderError('Junction requests need JUNCTION_API_KEY to be configured', 'client_error');
    }
    return { 'x-vital-api-key': options.apiKey, accept: 'application/json' };
  };

  const get = (userId: string, endpoint: string, url: URL, stats: RequestStats) =>
    requestJson(
      ctx,
      { method: 'GET', url, endpoint, headers: headers(), classify: classifyJunction(userId) },
      stats,
    );

  return {
    async fetchSummary(userId, kind, window, stats) {
      checkUserId(userId);
      if (!isJunctionSummaryKind(kind)) {
        throw new ProviderError(`Junction has no summary kind '${String(kind)}'`, 'invalid_input');
      }
      const endpoint = `/v2/summary/${kind}/{user_id}`;
      const url = new URL(`${apiBase}/v2/summary/${kind}/${encodeURIComponent(userId)}`);
      const padded = padWindow(window.start, window.end, SUMMARY_PADDING_DAYS);
      setRange(url, toJunctionRange(padded.start, padded.end));
      const body = await get(userId, endpoint, url, stats);
      const envelope = summaryEnvelopeSchemas[kind].safeParse(body);
      if (!envelope.success) {
        // The API changed shape: no document can be trusted and a retry will not help.
        throw new ProviderError(
          `Junction ${kind} summary: ${describeIssues(envelope.error)}`,
          'client_error',
        );
      }
      const documents = (envelope.data as Record<string, unknown[]>)[kind] ?? [];
      return { kind, documents: documents.filter((doc) => ownedBy(kind, doc, window)) };
    },

    async fetchHeartRatePage(userId, window, stats) {
      checkUserId(userId);
      const endpoint = '/v2/timeseries/{user_id}/heartrate/grouped';
      const url = new URL(`${apiBase}/v2/timeseries/${encodeURIComponent(userId)}/heartrate/grouped`);
      setRange(url, toJunctionRange(window.start, window.end));
      if (window.cursor) url.searchParams.set('next_cursor', window.cursor);
      const body = await get(userId, endpoint, url, stats);
      const parsed = groupedHeartRateSchema.safeParse(body);
      if (!parsed.success) {
        throw new ProviderError(`Junction heartrate page: ${describeIssues(parsed.error)}`, 'client_error');
      }
      // Each sample keeps the source of its group, so a stored sample says what measured it.
      const documents = Object.values(parsed.data.groups).flatMap((groups) =>
        groups.flatMap((group) =>
          group.data.map((sample) =>
            typeof sample === 'object' && sample !== null ? { ...sample, source: group.source } : sample,
          ),
        ),
      );
      const next = parsed.data.next_cursor ?? undefined;
      if (next !== undefined && next === window.cursor) {
        // The same cursor again would loop the window forever.
        throw new ProviderError("Junction heartrate page: next_cursor repeats the request's", 'client_error');
      }
      return { kind: 'heartrate', documents, nextCursor: next || undefined };
    },

    async validateExternalUser(userId, stats) {
      checkUserId(userId);
      const url = new URL(`${apiBase}/v2/user/${encodeURIComponent(userId)}`);
      const body = await get(userId, '/v2/user/{user_id}', url, stats);
      const user = userSchema.safeParse(body);
      if (!user.success || user.data.user_id.toLowerCase() !== userId.toLowerCase()) {
        throw new ProviderError(
          `Junction GET /v2/user/{user_id}: unexpected response for ${userId}`,
          'client_error',
        );
      }
    },
  };
}

/** Keeps a summary document if its start lies in the window; a document that will not map stays, to be quarantined. */
function ownedBy(kind: JunctionSummaryKind, raw: unknown, window: JunctionWindow): boolean {
  const mapped = mapJunctionDocument(kind, raw);
  if (!mapped.ok) {
    // Quarantined by the window holding its calendar day (midnight UTC), so only one window does.
    const day = (raw as { calendar_date?: unknown } | null)?.calendar_date;
    const at = typeof day === 'string' ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
    return Number.isNaN(at) || (at >= window.start.getTime() && at < window.end.getTime());
  }
  const at = mapped.record.startAt?.getTime();
  return at !== undefined && at >= window.start.getTime() && at < window.end.getTime();
}

function setRange(url: URL, range: { start_date: string; end_date: string }) {
  url.searchParams.set('start_date', range.start_date);
  url.searchParams.set('end_date', range.end_date);
}

function checkUserId(userId: string) {
  if (!UUID.test(userId)) {
    throw new ProviderError(`'${userId.slice(0, 64)}' is not a Junction user id (a UUID)`, 'invalid_input');
  }
}

/**
 * Junction's answers for a user-scoped request: 404 means the user is not in this team and
 * environment; 401/403 mean the app's API key was refused (nothing to refresh: a config error);
 * 422 is a request Junction will not take. 429 and other 5xx fall through to the shared classification.
 */
export function classifyJunction(userId: string) {
  return ({ status, label, json, headers, rateLimit }: FailedResponse): ProviderError | undefined => {
    if (status === 404) {
      return new ProviderError(
        `no such Junction user ${userId} (${label}: HTTP 404; check the id and the region/environment of JUNCTION_API_URL)`,
        'invalid_input',
        status,
      );
    }
    if (status === 401 || status === 403) {
      return new ProviderError(
        `${label}: HTTP ${status}, the API key was refused (check JUNCTION_API_KEY and JUNCTION_API_URL)`,
        'client_error',
        status,
      );
    }
    // A 503 that says when to come back is Junction shedding load: treated as a rate limit, so the
    // shared budget backs off for every worker and the retry waits exactly that long.
    const retryAfter = retryAfterMs(headers, rateLimit);
    if (status === 503 && retryAfter !== undefined) {
      return new ProviderError(`${label}: HTTP 503 under load`, 'rate_limited', status, retryAfter);
    }
    if (status === 422 || status === 400) {
      return new ProviderError(`${label}: HTTP ${status}${detail(json)}`, 'client_error', status);
    }
    return undefined;
  };
}

/** Junction's validation message, when it is a short plain string (it is echoed into messages). */
function detail(json: unknown): string {
  const value = (json as { detail?: unknown } | null | undefined)?.detail;
  return typeof value === 'string' && value.length <= 200 ? ` (${value.replace(/[\r\n]+/g, ' ')})` : '';
}
