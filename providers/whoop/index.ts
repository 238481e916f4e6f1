// WHOOP v2 as a ProviderApi, and the environment it is configured from.
import { z } from 'zod';
import { providerCatalog } from '../catalog.ts';
import { envInt, envUrl } from '../env.ts';
import { ProviderError } from '../errors.ts';
import type { Page, ProviderApi, RequestStats } from '../types.ts';
import { createWhoopClient, type WhoopClient, type WhoopClientOptions } from './client.ts';
import { isWhoopCollectionKind, WHOOP_COLLECTION_KINDS } from './mapping.ts';

export { createWhoopClient, type WhoopClient, type WhoopClientOptions } from './client.ts';
export { mapWhoopPage, mapWhoopRecord, WHOOP_COLLECTION_KINDS, type WhoopCollectionKind } from './mapping.ts';

export interface WhoopProvider extends ProviderApi {
  readonly client: WhoopClient;
  fetchProfile(accessToken: string, stats: RequestStats): Promise<Page>;
  fetchBodyMeasurement(accessToken: string, stats: RequestStats): Promise<Page>;
}

export function createWhoopProvider(options: WhoopClientOptions): WhoopProvider {
  const client = createWhoopClient(options);
  return {
    name: 'whoop',
    kinds: WHOOP_COLLECTION_KINDS,
    // Windowing facts live in the catalog, which workflows read without importing this client:
    // 7 days of rescoring; 30-day windows, i.e. 2-3 pages of 25 per kind (about 30 cycles, 30-40
    // sleeps and recoveries, a few dozen workouts), so a retried window costs little and a year is
    // about a dozen activities per kind.
    rescoreLookbackDays: providerCatalog.whoop.rescoreLookbackDays,
    windowDays: providerCatalog.whoop.windowDays,
    client,
    async fetchPage(accessToken, request, stats) {
      if (!isWhoopCollectionKind(request.kind)) {
        throw new ProviderError(
          `WHOOP has no kind '${request.kind}' (kinds: ${WHOOP_COLLECTION_KINDS.join(', ')})`,
          'invalid_input',
        );
      }
      const { start, end, cursor } = request;
      return client.fetchCollectionPage(accessToken, request.kind, { start, end, cursor }, stats);
    },
    refreshTokens: (refreshToken, stats) => client.refreshTokens(refreshToken, stats),
    fetchProfile: (accessToken, stats) => client.fetchProfile(accessToken, stats),
    fetchBodyMeasurement: (accessToken, stats) => client.fetchBodyMeasurement(accessToken, stats),
  };
}

/** WHOOP's environment variables (DESIGN.md, Configuration), for the config loader to merge. */
export const whoopConfigSchema = z.object({
  WHOOP_API_URL: envUrl(['https:', 'http:']).default('https://api.prod.whoop.com/developer'),
  WHOOP_TOKEN_URL: envUrl(['https:', 'http:']).default('https://api.prod.whoop.com/oauth/oauth2/token'),
  WHOOP_AUTH_URL: envUrl(['https:', 'http:']).default('https://api.prod.whoop.com/oauth/oauth2/auth'),
  WHOOP_CLIENT_ID: z.string().trim().min(1).optional(),
  WHOOP_CLIENT_SECRET: z.string().trim().min(1).optional(),
  WHOOP_REQUESTS_PER_MINUTE: envInt(1, 10_000, 100),
  WHOOP_REQUESTS_PER_DAY: envInt(1, 10_000_000, 10_000),
  /** Per request, including reading the body; a slower answer is a transient failure, retried. */
  WHOOP_REQUEST_TIMEOUT_MS: envInt(100, 300_000, 30_000),
});
export type WhoopConfig = z.output<typeof whoopConfigSchema>;
