// WHOOP v2 as a ProviderModule: its environment, its budget, and the runtime activities call.
import { z } from 'zod';
import { envInt, envUrl } from '../env.ts';
import { ProviderError } from '../errors.ts';
import type {
  Credentials,
  OAuthRuntime,
  Page,
  ProviderModule,
  ProviderRuntime,
  RequestStats,
} from '../types.ts';
import { createWhoopClient, type WhoopClient, type WhoopClientOptions } from './client.ts';
import { whoopDescriptor } from './descriptor.ts';
import { isWhoopCollectionKind, isWhoopKind, mapWhoopDocuments, WHOOP_COLLECTION_KINDS } from './mapping.ts';
import { createWhoopWebhooks } from './webhooks.ts';

export { createWhoopClient, type WhoopClient, type WhoopClientOptions } from './client.ts';
export { whoopDescriptor } from './descriptor.ts';
export { mapWhoopPage, mapWhoopRecord, WHOOP_COLLECTION_KINDS, type WhoopCollectionKind } from './mapping.ts';

/** WHOOP's environment variables (docs/architecture.md, Configuration), for the config loader to merge. */
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

export interface WhoopRuntime extends ProviderRuntime {
  fetchPage: NonNullable<ProviderRuntime['fetchPage']>;
  readonly client: WhoopClient;
  readonly oauth: OAuthRuntime;
  fetchProfile(accessToken: string, stats: RequestStats): Promise<Page>;
  fetchBodyMeasurement(accessToken: string, stats: RequestStats): Promise<Page>;
  /** The WHOOP user id behind a token: webhooks name users by it (serve's hosted connect stores it). */
  identify(accessToken: string, stats: RequestStats): Promise<string | undefined>;
}

function accessTokenOf(credentials: Credentials): string {
  if (credentials.type !== 'oauth') {
    throw new ProviderError(`WHOOP needs OAuth credentials, got ${credentials.type}`, 'invalid_input');
  }
  return credentials.accessToken;
}

export function createWhoopRuntime(options: WhoopClientOptions & { authorizeUrl: string }): WhoopRuntime {
  const client = createWhoopClient(options);
  return {
    descriptor: whoopDescriptor,
    client,
    async fetchPage(credentials, request, stats) {
      if (!isWhoopCollectionKind(request.kind)) {
        throw new ProviderError(
          `WHOOP has no kind '${request.kind}' (kinds: ${WHOOP_COLLECTION_KINDS.join(', ')})`,
          'invalid_input',
        );
      }
      const { start, end, cursor } = request;
      return client.fetchCollectionDocuments(
        accessTokenOf(credentials),
        request.kind,
        { start, end, cursor },
        stats,
      );
    },
    mapDocuments(kind, documents) {
      if (!isWhoopKind(kind)) throw new ProviderError(`WHOOP has no kind '${kind}'`, 'invalid_input');
      return mapWhoopDocuments(kind, documents);
    },
    oauth: {
      authorizeUrl: options.authorizeUrl,
      tokenUrl: options.tokenUrl,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      refreshTokens: (refreshToken, stats) => client.refreshTokens(refreshToken, stats),
      exchangeCode: (code, redirectUri, verifier, stats) =>
        client.exchangeCode(code, redirectUri, verifier, stats),
    },
    fetchProfile: (accessToken, stats) => client.fetchProfile(accessToken, stats),
    fetchBodyMeasurement: (accessToken, stats) => client.fetchBodyMeasurement(accessToken, stats),
    async identify(accessToken, stats) {
      const userId = (await client.fetchProfile(accessToken, stats)).records[0]?.payload.user_id;
      return userId === undefined ? undefined : String(userId);
    },
    webhooks: createWhoopWebhooks({
      clientSecret: options.clientSecret,
      lookbackDays: whoopDescriptor.rescoreLookbackDays,
    }),
  };
}

export const provider = {
  descriptor: whoopDescriptor,
  envSchema: whoopConfigSchema,
  budgetFrom: (config) => ({
    perMinute: config.WHOOP_REQUESTS_PER_MINUTE,
    perDay: config.WHOOP_REQUESTS_PER_DAY,
  }),
  createRuntime: (config, deps) =>
    createWhoopRuntime({
      apiUrl: config.WHOOP_API_URL,
      tokenUrl: config.WHOOP_TOKEN_URL,
      authorizeUrl: config.WHOOP_AUTH_URL,
      clientId: config.WHOOP_CLIENT_ID,
      clientSecret: config.WHOOP_CLIENT_SECRET,
      timeoutMs: config.WHOOP_REQUEST_TIMEOUT_MS,
      budget: deps.budget,
      logger: deps.logger,
      onRequest: deps.onRequest,
    }),
  sandbox: () => import('./sandbox-module.ts').then((m) => m.whoopSandbox),
} satisfies ProviderModule<typeof whoopConfigSchema>;
