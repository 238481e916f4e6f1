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
    try {
      return await fetchPage.call(runtime, held.credentials, request, stats);
    } catch (error) {
      if (!(error instanceof ProviderError && error.errorClass === 'unauthorized')) throw error;
      const renewed = await options.credentials.afterUnauthorized(runtime, userId, held, stats);
      if (!renewed) throw error;
      held = renewed;
      return fetchPage.call(runtime, held.credentials, request, stats).catch((retryError: unknown) => {
        if (retryError instanceof ProviderError && retryError.errorClass === 'unauthorized') {
          throw new ProviderError(`reauth required: ${retryError.message}`, 'reauth_required', 401);
        }
        throw retryError;
      });
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
