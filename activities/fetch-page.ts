// One page of one window: fetch the raw documents with the connection's credentials (a 401 refreshes
// OAuth credentials once and retries; a second 401 means the grant is gone), then map them.
import { ProviderError } from '../providers/errors.ts';
import type { MappedPage, PageRequest, ProviderRuntime, RequestStats } from '../providers/types.ts';
import type { CredentialSource, HeldCredentials } from './credentials.ts';

export interface FetchedPage extends MappedPage {
  /** Undefined when this was the last page. */
  nextCursor?: string;
}

export interface PageFetcher {
  next(request: PageRequest): Promise<FetchedPage>;
}

/** Tokens that lapse in flight before a page is given up on as transient (retried by Temporal). */
const MAX_LAPSES = 3;

/** Whether the held OAuth token had expired by `now` (a 401 for it says nothing about the grant). */
function lapsedBy(held: HeldCredentials, now: number): boolean {
  const expiresAt = held.token?.expiresAt;
  return expiresAt != null && expiresAt.getTime() <= now;
}

/** Fetches pages for one connection, with credentials current for each page. */
export function createPageFetcher(options: {
  runtime: ProviderRuntime;
  credentials: CredentialSource;
  userId: string;
  stats: RequestStats;
}): PageFetcher {
  const { runtime, userId, stats } = options;
  const { fetchPage } = runtime;
  const name = runtime.descriptor.name;
  if (!fetchPage) {
    throw new ProviderError(`${name} is a push source: it has no pages to fetch`, 'invalid_input');
  }

  const fetchRaw = async (request: PageRequest) => {
    // Per page, not per window: a token that lives less than a window lasts is refreshed ahead of its
    // expiry (one read of the connection row; the refresh itself is shared, activities/tokens.ts).
    let held: HeldCredentials = await options.credentials.forConnection(runtime, userId, stats);
    let rejections = 0;
    let lapses = 0;
    for (;;) {
      try {
        return await fetchPage.call(runtime, held.credentials, request, stats);
      } catch (error) {
        if (!(error instanceof ProviderError && error.errorClass === 'unauthorized')) throw error;
        // A token that expired while its request waited for a budget slot was not rejected: renew
        // it and send again. Only a 401 for a token still valid counts, and the second such means the
        // grant is gone.
        if (!lapsedBy(held, Date.now())) {
          if (++rejections > 1) {
            throw new ProviderError(`reauth required: ${error.message}`, 'reauth_required', 401);
          }
        } else if (++lapses > MAX_LAPSES) {
          throw new ProviderError(
            `${name}: ${lapses} access tokens expired while their request waited for the request budget; retried later`,
            'transient',
            401,
          );
        }
        const renewed = await options.credentials.afterUnauthorized(runtime, userId, held, stats);
        if (!renewed) throw error;
        held = renewed;
      }
    }
  };

  return {
    async next(request) {
      const raw = await fetchRaw(request);
      // The window's kind, whatever the page says: coverage and soft-deletes are kept per that kind.
      const mapped = runtime.mapDocuments(request.kind, raw.documents);
      return raw.nextCursor ? { ...mapped, nextCursor: raw.nextCursor } : mapped;
    },
  };
}
